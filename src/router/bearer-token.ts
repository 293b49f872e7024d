/**
 * Bearer-token check for admin mutations, in constant time with respect to
 * the token's content and length (both sides are hashed first).
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** Returns a checker for `Authorization` header values; the token is kept only as a digest. */
export function bearerTokenChecker(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer (.+)$/i.exec(authorization ?? "");
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
