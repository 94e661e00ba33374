import { keepPreviousData } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { ConfirmDialog } from "../components/ConfirmDialog.tsx";
import { Pager } from "../components/Pager.tsx";
import { RequireRole } from "../components/RequireRole.tsx";
import { Empty, ErrorState, Loading } from "../components/states.tsx";
import { describeError } from "../lib/errors.ts";
import { formatAge, formatDate, label } from "../lib/format.ts";
import { useDebounced } from "../lib/hooks.ts";
import { ADMIN_ONLY, type Role } from "../session.tsx";
import { type RouterInputs, type RouterOutputs, trpc } from "../trpc.ts";

type Token = RouterOutputs["tokens"]["list"]["tokens"][number];
type TokenRole = RouterInputs["tokens"]["create"]["role"];
const ROLES = ["ADMIN", "INSTRUCTOR", "TEACHING_ASSISTANT", "STUDENT"] as const satisfies readonly TokenRole[];
const PAGE_SIZE = 20;

export function ApiTokensPage() {
  return (
    <RequireRole roles={ADMIN_ONLY}>
      <section aria-labelledby="tokens-heading">
        <div className="page-header">
          <h1 id="tokens-heading">API tokens</h1>
          <p className="muted">
            Tokens let scripts and other systems (a video platform's import, the registrar's export) call Coursebase.
            They are stored hashed: the secret is shown once, when the token is created.
          </p>
        </div>
        <CreateToken />
        <TokenList />
      </section>
    </RequireRole>
  );
}

function tokenState(token: Token): { text: string; className: string } {
  if (token.revokedAt) return { text: `revoked ${formatAge(token.revokedAt)}`, className: "outcome-abandoned" };
  if (token.expiresAt && token.expiresAt.getTime() <= Date.now())
    return { text: "expired", className: "outcome-failed" };
  return { text: "active", className: "outcome-succeeded" };
}

function TokenList() {
  const utils = trpc.useUtils();
  const [page, setPage] = useState(1);
  const [includeRevoked, setIncludeRevoked] = useState(false);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const tokens = trpc.tokens.list.useQuery(
    { page, limit: PAGE_SIZE, includeRevoked },
    { placeholderData: keepPreviousData },
  );
  const revoke = trpc.tokens.revoke.useMutation({
    onSuccess: async () => {
      setRevoking(null);
      await utils.tokens.list.invalidate();
    },
  });
  const result = tokens.data;
  return (
    <section className="panel" aria-labelledby="token-list-heading">
      <h2 id="token-list-heading">Tokens</h2>
      <label className="inline">
        <input
          type="checkbox"
          checked={includeRevoked}
          onChange={(event) => {
            setIncludeRevoked(event.target.checked);
            setPage(1);
          }}
        />{" "}
        Show revoked tokens
      </label>
      {tokens.error ? <ErrorState error={tokens.error} retry={() => tokens.refetch()} what="The tokens" /> : null}
      {tokens.isPending ? <Loading>Loading tokens…</Loading> : null}
      {result ? (
        result.tokens.length === 0 ? (
          <Empty>No token{includeRevoked ? "" : " in use"}. Scripts need one to call Coursebase.</Empty>
        ) : (
          <>
            <div className="table-scroll" aria-busy={tokens.isFetching}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Acts as</th>
                    <th scope="col">State</th>
                    <th scope="col" className="wide-only">
                      Created
                    </th>
                    <th scope="col">Last used</th>
                    <th scope="col">
                      <span className="visually-hidden">Action</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {result.tokens.map((token) => {
                    const state = tokenState(token);
                    return (
                      <tr key={token.id}>
                        <td>
                          {token.name}
                          <div className="muted">
                            <code>{token.tokenPrefix}…</code>
                          </div>
                        </td>
                        <td>
                          {label(token.role)}
                          {token.user ? (
                            <div className="muted">{token.user.name}</div>
                          ) : (
                            <div className="muted">institution-wide</div>
                          )}
                        </td>
                        <td>
                          <span className={`badge ${state.className}`}>{state.text}</span>
                          {token.expiresAt && !token.revokedAt ? (
                            <div className="muted">until {formatDate(token.expiresAt)}</div>
                          ) : null}
                        </td>
                        <td className="wide-only">
                          {formatDate(token.createdAt)}
                          {token.createdBy ? <div className="muted">by {token.createdBy.name}</div> : null}
                        </td>
                        <td>{token.lastUsedAt ? formatAge(token.lastUsedAt) : "never"}</td>
                        <td>
                          {token.revokedAt ? null : (
                            <button type="button" onClick={() => setRevoking(token)}>
                              Revoke…
                            </button>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <Pager pagination={result.pagination} onPage={setPage} busy={tokens.isFetching} />
          </>
        )
      ) : null}
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke “${revoking?.name ?? ""}”?`}
        confirmLabel="Revoke the token"
        danger
        busy={revoke.isPending}
        onCancel={() => {
          setRevoking(null);
          revoke.reset();
        }}
        onConfirm={() => revoking && revoke.mutate({ tokenId: revoking.id })}
      >
        <ul>
          <li>Every program using this token is refused from its next call on; this cannot be undone.</li>
          <li>To keep such a program working, create a new token first and give it the new secret.</li>
          <li>The revocation is recorded in the audit log under your name.</li>
        </ul>
        {revoke.error ? (
          <p role="alert" className="error">
            {describeError(revoke.error)}
          </p>
        ) : null}
      </ConfirmDialog>
    </section>
  );
}

function CreateToken() {
  const utils = trpc.useUtils();
  const [name, setName] = useState("");
  const [role, setRole] = useState<TokenRole>("ADMIN");
  const [expiresInDays, setExpiresInDays] = useState("90");
  const [person, setPerson] = useState<{ id: string; name: string } | null>(null);
  const create = trpc.tokens.create.useMutation({
    onSuccess: async () => {
      setName("");
      setPerson(null);
      await utils.tokens.list.invalidate();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({
      name,
      role,
      ...(role !== "ADMIN" && person ? { userId: person.id } : {}),
      ...(expiresInDays ? { expiresInDays: Number(expiresInDays) } : {}),
    });
  };
  return (
    <section className="panel" aria-labelledby="create-token-heading">
      <h2 id="create-token-heading">Create a token</h2>
      <form className="form-grid" onSubmit={submit}>
        <label>
          Name
          <input
            required
            maxLength={100}
            value={name}
            placeholder="e.g. video platform import"
            onChange={(event) => setName(event.target.value)}
          />
        </label>
        <label>
          Role
          <select
            value={role}
            onChange={(event) => {
              setRole(event.target.value as TokenRole);
              setPerson(null);
            }}
          >
            {ROLES.map((value) => (
              <option key={value} value={value}>
                {value === "ADMIN" ? "Administrator (institution-wide)" : label(value)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Expires after
          <select value={expiresInDays} onChange={(event) => setExpiresInDays(event.target.value)}>
            <option value="30">30 days</option>
            <option value="90">90 days</option>
            <option value="365">a year</option>
            <option value="">never (until revoked)</option>
          </select>
        </label>
        {role !== "ADMIN" ? <PersonPicker role={role} person={person} onPick={setPerson} /> : null}
        <div>
          <button type="submit" className="primary" disabled={create.isPending || (role !== "ADMIN" && !person)}>
            {create.isPending ? "Creating…" : "Create token"}
          </button>
        </div>
      </form>
      {create.error ? (
        <p role="alert" className="error">
          {describeError(create.error)}
        </p>
      ) : null}
      {create.data ? (
        <div className="secret" role="status">
          <p>
            <strong>Copy this secret now: it will not be shown again.</strong> Programs send it as{" "}
            <code>Authorization: Bearer &lt;token&gt;</code>.
          </p>
          <code className="statement" data-testid="new-token-secret">
            {create.data.token}
          </code>
          <button type="button" onClick={() => navigator.clipboard?.writeText(create.data.token)}>
            Copy
          </button>
        </div>
      ) : null}
    </section>
  );
}

/** A token of a non-admin role acts as one person of that role. */
function PersonPicker({
  role,
  person,
  onPick,
}: {
  role: Role;
  person: { id: string; name: string } | null;
  onPick: (person: { id: string; name: string } | null) => void;
}) {
  const [typed, setTyped] = useState("");
  const prefix = useDebounced(typed.trim(), 250);
  const people = trpc.users.list.useQuery({ role, namePrefix: prefix, limit: 6 }, { enabled: prefix.length > 0 });
  if (person) {
    return (
      <p className="picked">
        Acts as <strong>{person.name}</strong>{" "}
        <button type="button" className="link-button" onClick={() => onPick(null)}>
          change
        </button>
      </p>
    );
  }
  return (
    <div className="picker">
      <label>
        Acts as ({label(role).toLowerCase()})
        <input
          type="search"
          placeholder="Start of their name"
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
        />
      </label>
      {people.error ? <p className="error">{describeError(people.error)}</p> : null}
      {prefix && people.data ? (
        people.data.users.length === 0 ? (
          <p className="muted">Nobody of that role starts with “{prefix}”.</p>
        ) : (
          <ul className="choices">
            {people.data.users.map((user) => (
              <li key={user.id}>
                <span>
                  {user.name} <span className="muted">{user.email}</span>
                </span>
                <button type="button" onClick={() => onPick({ id: user.id, name: user.name })}>
                  Choose
                </button>
              </li>
            ))}
          </ul>
        )
      ) : null}
    </div>
  );
}
