import { describe } from "vitest";
import { startHaproxy } from "../../../test/services/haproxy.ts";
import { requireService } from "../../../test/services/require-service.ts";
import type { TargetDefinition } from "../target.ts";
import { HaproxyDriver } from "./haproxy/haproxy-driver.ts";
import { haproxyTargetDefinition } from "./haproxy-target.ts";
import { describeTrafficTargetE2e, startFleet } from "./traffic-target-e2e.ts";

const ready = requireService("haproxy", "traffic target end to end on real HAProxy");

describe.skipIf(!ready)("haproxy target on real HAProxy 2.6", () => {
  describeTrafficTargetE2e("HAProxy over its runtime API socket", async () => {
    const fleet = await startFleet();
    const haproxy = await startHaproxy({
      backends: {
        be_app: [...fleet.values()].map((sample) => ({
          name: sample.name,
          address: new URL(sample.url).host,
          weight: 100,
        })),
      },
      healthCheck: { path: "/healthz", intervalMs: 100 },
    });
    return {
      definition: haproxyTargetDefinition as TargetDefinition,
      routerConfig: { socket: haproxy.socketPath, backend: "be_app" },
      fleet,
      routerUrl: haproxy.frontends.be_app ?? "",
      driver: new HaproxyDriver({ address: haproxy.socketAddress, backend: "be_app" }),
      async setWeightByHand(server, weight) {
        await haproxy.runtime(`set weight be_app/${server} ${weight}`);
      },
      restartWipingWeights: () => haproxy.reload({ keepState: false }),
      async teardown() {
        await haproxy.stop();
        await Promise.all([...fleet.values()].map((sample) => sample.close()));
      },
    };
  });
});
