import { Link, Outlet } from "@tanstack/react-router";
import { ErrorState, Loading } from "./components/states.tsx";
import { errorCode } from "./lib/errors.ts";
import { label } from "./lib/format.ts";
import { SignIn } from "./pages/SignIn.tsx";
import { ADMIN_ONLY, type Role, SessionProvider, STAFF_ROLES, useSession, useSignOut } from "./session.tsx";
import { trpc } from "./trpc.ts";

const NAVIGATION: Array<{ to: string; label: string; roles: readonly Role[] }> = [
  { to: "/", label: "Overview", roles: ADMIN_ONLY },
  { to: "/courses", label: "Courses", roles: STAFF_ROLES },
  { to: "/students", label: "Students", roles: ADMIN_ONLY },
  { to: "/health", label: "Database health", roles: ADMIN_ONLY },
  { to: "/audit", label: "Audit log", roles: ADMIN_ONLY },
  { to: "/tokens", label: "API tokens", roles: ADMIN_ONLY },
];

/** The root of every page: who is signed in decides between sign-in, a refusal and the app. */
export function Root() {
  const me = trpc.auth.me.useQuery(undefined, { retry: false, staleTime: Number.POSITIVE_INFINITY });
  if (me.data) {
    return (
      <SessionProvider me={me.data}>
        <Layout />
      </SessionProvider>
    );
  }
  if (errorCode(me.error) === "UNAUTHORIZED") return <SignIn />;
  if (me.error) {
    return (
      <main className="sign-in-page">
        <ErrorState error={me.error} retry={() => me.refetch()} what="Coursebase" />
      </main>
    );
  }
  return (
    <main className="sign-in-page">
      <Loading />
    </main>
  );
}

function Layout() {
  const session = useSession();
  const signOut = useSignOut();
  const allowed = NAVIGATION.filter((item) => item.roles.includes(session.role));
  const staff = (STAFF_ROLES as readonly Role[]).includes(session.role);

  return (
    <div className="layout">
      <header className="app-header">
        <Link to="/" className="brand">
          Coursebase
        </Link>
        <div className="who" data-testid="signed-in-user">
          <span className="who-name">{session.user?.name ?? "API token"}</span>
          <span className="who-detail">
            {label(session.role)} · {session.institution.name}
          </span>
          <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
            {signOut.isPending ? "Signing out…" : "Sign out"}
          </button>
        </div>
      </header>
      {staff ? (
        <>
          <nav className="app-nav" aria-label="Main">
            {allowed.map((item) => (
              <Link
                key={item.to}
                to={item.to}
                activeOptions={{ exact: item.to === "/" }}
                activeProps={{ className: "active", "aria-current": "page" }}
              >
                {item.label}
              </Link>
            ))}
          </nav>
          <main className="app-main">
            <Outlet />
          </main>
        </>
      ) : (
        <main className="app-main">
          <div className="state forbidden" role="alert">
            <h2>This app is for staff</h2>
            <p>
              Coursebase admin is for administrators, instructors and teaching assistants. As a student, you find your
              courses and progress in your learning platform.
            </p>
          </div>
        </main>
      )}
    </div>
  );
}
