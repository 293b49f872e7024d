/**
 * Webhook bodies: `json` (the notification as is, for any receiver) and
 * `slack` (Slack's incoming-webhook `{ text, blocks }`, also understood by
 * Mattermost and Rocket.Chat). Pure.
 */
import type { Notification } from "./notification.ts";

/** Supported payload formats. */
export type NotifyFormat = "json" | "slack";

const ICONS: Readonly<Record<Notification["severity"], string>> = {
  good: ":white_check_mark:",
  warning: ":warning:",
  danger: ":octagonal_sign:",
};

/** The request body for `notification` in `format`. */
export function payloadOf(notification: Notification, format: NotifyFormat): unknown {
  if (format === "json") return { source: "airlock", ...notification };
  const text = `${ICONS[notification.severity]} ${escapeMrkdwn(notification.text)}`;
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${notification.event}* ${text}` } },
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: `operation \`${escapeMrkdwn(notification.operation)}\` · domain \`${escapeMrkdwn(notification.domain)}\` · event #${notification.seq}`,
          },
        ],
      },
    ],
  };
}

/** Slack's three control characters; everything else is literal. */
function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
