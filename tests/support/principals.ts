import { ids } from "./fixture.ts";
import { personPrincipal, tokenPrincipal } from "./services.ts";

/** The fixture's people as principals, for calling procedures as them. */
export const as = {
  northwindAdmin: personPrincipal({ id: ids.admin, institutionId: ids.northwind, role: "ADMIN" }),
  ada: personPrincipal({ id: ids.ada, institutionId: ids.northwind, role: "INSTRUCTOR" }),
  tom: personPrincipal({ id: ids.tom, institutionId: ids.northwind, role: "TEACHING_ASSISTANT" }),
  sam: personPrincipal({ id: ids.sam, institutionId: ids.northwind, role: "STUDENT" }),
  alex: personPrincipal({ id: ids.alex, institutionId: ids.northwind, role: "STUDENT" }),
  noel: personPrincipal({ id: ids.noel, institutionId: ids.northwind, role: "STUDENT" }),
  grace: personPrincipal({ id: ids.grace, institutionId: ids.southbank, role: "INSTRUCTOR" }),
  bea: personPrincipal({ id: ids.bea, institutionId: ids.southbank, role: "STUDENT" }),
  northwindToken: tokenPrincipal(ids.northwind),
  southbankToken: tokenPrincipal(ids.southbank),
};
