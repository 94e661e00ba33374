export { type AppRouter, appRouter, createCaller } from "./routers/_app.ts";
export { createServices, type ServicesHandle } from "./services.ts";
export { type Context, createContext, type Services } from "./trpc/init.ts";
