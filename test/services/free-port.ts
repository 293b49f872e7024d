import net from "node:net";

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it for a
 * listener on port 0, which is then closed). Another process could take it
 * before the caller binds it; services that fail to bind show that in their log.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}
