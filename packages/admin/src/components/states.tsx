import type { ReactNode } from "react";
import { describeError, isMissingProcedure } from "../lib/errors.ts";

export function Loading({ children = "Loading…" }: { children?: ReactNode }) {
  return (
    <p className="state loading" aria-live="polite" aria-busy="true">
      <span className="spinner" aria-hidden="true" />
      {children}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

/** A failed request in words, with a retry when one can help. */
export function ErrorState({ error, retry, what }: { error: unknown; retry?: () => void; what?: string }) {
  if (isMissingProcedure(error)) return <NotAvailable what={what ?? "This view"} />;
  return (
    <div className="state error" role="alert">
      <p>
        {what ? <strong>{what} could not be loaded. </strong> : null}
        {describeError(error)}
      </p>
      {retry ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** A feature whose API this server does not offer (yet). */
export function NotAvailable({ what }: { what: string }) {
  return (
    <div className="state unavailable" role="note">
      <p>
        <strong>{what} is not available on this server.</strong> The server this app talks to does not offer the
        procedure it needs; an update of the server will bring it.
      </p>
    </div>
  );
}

/** The signed-in role may not open this page (the server would refuse its data too). */
export function Forbidden({ role, allowed }: { role: string; allowed: readonly string[] }) {
  return (
    <div className="state forbidden" role="alert">
      <h2>You do not have access to this page</h2>
      <p>
        It is open to {allowed.map((r) => r.toLowerCase().replaceAll("_", " ")).join(" and ")} accounts; you are signed
        in as {role.toLowerCase().replaceAll("_", " ")}. Ask an administrator of your institution if you need it.
      </p>
    </div>
  );
}

/** Query result -> one of loading / error / content, so no screen forgets a state. */
export function QueryState<T>({
  query,
  what,
  children,
}: {
  query: { data: T | undefined; error: unknown; isPending: boolean; refetch: () => unknown };
  what?: string;
  children: (data: T) => ReactNode;
}) {
  if (query.data !== undefined) return <>{children(query.data)}</>;
  if (query.error) return <ErrorState error={query.error} retry={() => query.refetch()} {...(what ? { what } : {})} />;
  return <Loading />;
}
