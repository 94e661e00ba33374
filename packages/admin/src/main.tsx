import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "@tanstack/react-router";
import { getQueryKey } from "@trpc/react-query";
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { errorCode } from "./lib/errors.ts";
import { router } from "./router.tsx";
import { createTrpcClient, trpc } from "./trpc.ts";
import "./styles.css";

// A refusal or a bad request will not change by asking again; a dropped connection may.
const retryable = (failures: number, error: unknown) => {
  const code = errorCode(error);
  if (code && code !== "INTERNAL_SERVER_ERROR" && code !== "TIMEOUT") return false;
  return failures < 2;
};

function App() {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        // A session that ends (expiry, sign-out elsewhere, revocation) shows the sign-in form.
        queryCache: new QueryCache({ onError: (error) => onUnauthorized(error) }),
        mutationCache: new MutationCache({ onError: (error) => onUnauthorized(error) }),
        defaultOptions: {
          queries: { staleTime: 30_000, refetchOnWindowFocus: false, retry: retryable },
        },
      }),
  );
  const [trpcClient] = useState(createTrpcClient);
  function onUnauthorized(error: unknown) {
    if (errorCode(error) !== "UNAUTHORIZED") return;
    const me = getQueryKey(trpc.auth.me);
    if (queryClient.getQueryState(me)?.status === "success") queryClient.invalidateQueries({ queryKey: me });
  }
  return (
    <trpc.Provider client={trpcClient} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
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
