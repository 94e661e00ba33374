import { createContext, type ReactNode, useContext } from "react";
import { type RouterOutputs, trpc } from "./trpc.ts";

export type Me = RouterOutputs["auth"]["me"];
export type Role = NonNullable<Me["user"]>["role"];

/** The roles this app serves, and what each may open. Students use the LMS, not this app. */
export const STAFF_ROLES = ["ADMIN", "INSTRUCTOR", "TEACHING_ASSISTANT"] as const satisfies readonly Role[];
export const ADMIN_ONLY = ["ADMIN"] as const satisfies readonly Role[];

const SessionContext = createContext<Me | null>(null);

export function SessionProvider({ me, children }: { me: Me; children: ReactNode }) {
  return <SessionContext.Provider value={me}>{children}</SessionContext.Provider>;
}

/** The signed-in person (only under the shell, which renders after sign-in). */
export function useSession(): Me & { role: Role } {
  const me = useContext(SessionContext);
  if (!me) throw new Error("useSession outside a signed-in shell");
  // A browser session always belongs to a person; an institution-wide token acts as an admin.
  return { ...me, role: me.user?.role ?? "ADMIN" };
}

export function useSignOut() {
  const utils = trpc.useUtils();
  return trpc.auth.signOut.useMutation({
    onSettled: async () => {
      // Nothing fetched as this person may linger on screen for the next one.
      await utils.invalidate();
      utils.auth.me.reset();
    },
  });
}
