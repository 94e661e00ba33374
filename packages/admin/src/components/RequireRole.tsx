import type { ReactNode } from "react";
import { type Role, useSession } from "../session.tsx";
import { Forbidden } from "./states.tsx";

/**
 * Shows the page only to the given roles. The server refuses the data to anyone else anyway;
 * this only says so plainly instead of a page of failed requests.
 */
export function RequireRole({ roles, children }: { roles: readonly Role[]; children: ReactNode }) {
  const { role } = useSession();
  if (!roles.includes(role)) return <Forbidden role={role} allowed={roles} />;
  return <>{children}</>;
}
