import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { CourseSearch } from "./CourseSearch.tsx";
import { SignIn } from "./SignIn.tsx";
import { createTrpcClient, trpc } from "./trpc.ts";
import "./styles.css";

/** The signed-in person and the way out, or the sign-in form. */
function Shell() {
  const utils = trpc.useUtils();
  const me = trpc.auth.me.useQuery(undefined, { retry: false, staleTime: Number.POSITIVE_INFINITY });
  const signOut = trpc.auth.signOut.useMutation({
    onSettled: () => {
      // Nothing fetched as this person may linger on screen for the next one.
      utils.invalidate();
      utils.auth.me.reset();
    },
  });
  const signedOut = me.error?.data?.code === "UNAUTHORIZED";

  return (
    <>
      <header className="app-header">
        <h1>Coursebase admin</h1>
        {me.data ? (
          <div className="who">
            <span>
              {me.data.user?.name ?? "API token"} · {me.data.institution.name}
            </span>
            <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
              Sign out
            </button>
          </div>
        ) : null}
      </header>
      <main className="app-main">
        {me.data ? <CourseSearch /> : null}
        {signedOut ? <SignIn /> : null}
        {me.isPending ? <p aria-live="polite">Loading…</p> : null}
        {me.error && !signedOut ? (
          <p role="alert" className="error">
            Coursebase is not answering: {me.error.message}
          </p>
        ) : null}
      </main>
    </>
  );
}

function App() {
  const [queryClient] = useState(
    () => new QueryClient({ defaultOptions: { queries: { staleTime: 30_000, refetchOnWindowFocus: false } } }),
  );
  const [trpcClient] = useState(createTrpcClient);
  return (
    <trpc.Provider client={trpcClient} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <Shell />
      </QueryClientProvider>
    </trpc.Provider>
  );
}

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
