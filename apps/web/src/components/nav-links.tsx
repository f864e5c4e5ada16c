"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  ["/sessions", "Sessions"],
  ["/meetings", "Meetings"],
  ["/rooms", "Rooms"],
  ["/retries", "Retry queue"],
  ["/settings", "Zoom settings"],
  ["/team", "Team"],
  ["/integrations", "Integrations"],
  ["/audit", "Audit log"],
] as const;

export function NavLinks({ openRetries }: { openRetries: number }) {
  const path = usePathname();
  return (
    <nav>
      {LINKS.map(([href, label]) => (
        <Link key={href} href={href} aria-current={path.startsWith(href) ? "page" : undefined}>
          {label}
          {href === "/retries" && openRetries > 0 ? ` (${openRetries})` : ""}
        </Link>
      ))}
    </nav>
  );
}
