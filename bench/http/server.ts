// The API server the HTTP benchmarks call: a child process of the benchmark, so that the load
// generator and the typed client do not share its event loop. Built like `pnpm start` builds it
// (services from the environment, createHttpServer, query monitoring and /metrics), on a free
// port; it tells the parent its port over IPC and stops when the parent disconnects.
import type { AddressInfo } from "node:net";
import { createServices } from "@coursebase/server";
import { createHttpServer } from "@coursebase/server/http/index";
import { registerMonitoring } from "@coursebase/server/monitoring/index";

const services = await createServices();
const app = await createHttpServer(services, { logLevel: process.env.LOG_LEVEL ?? "warn" });
registerMonitoring(app, { cacheStats: () => services.cache.stats() });
await app.listen({ host: "127.0.0.1", port: 0 });

const stop = async () => {
  await app.close();
  await services.close();
  process.exit(0);
};
process.on("disconnect", () => void stop());
process.on("SIGTERM", () => void stop());
process.send?.({ port: (app.server.address() as AddressInfo).port });
