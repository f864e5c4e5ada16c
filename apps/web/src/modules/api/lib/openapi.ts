// The OpenAPI 3.1 document, generated from routes.ts with zod's own JSON Schema output (z.toJSONSchema,
// draft 2020-12, which is OpenAPI 3.1's schema dialect). Named schemas (.meta({ id })) become
// components; request shapes use their input side (before coercion), responses their output side.
import { z } from "zod";
import { API_ROUTES, type ApiRoute } from "./routes.ts";
import { ErrorBody } from "./schemas.ts";

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output", components: Json): Json {
  const raw = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
    reused: "inline",
  });
  // zod names extracted schemas under $defs; in an OpenAPI document they live under components.
  const out = JSON.parse(JSON.stringify(raw).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json;
  const defs = (out.$defs ?? {}) as Json;
  for (const [k, v] of Object.entries(defs)) components[k] ??= v;
  delete out.$defs;
  delete out.$schema;
  // A root schema with an id is itself a component: reference it.
  const id = typeof out.id === "string" ? out.id : undefined;
  if (id) {
    delete out.id;
    components[id] ??= out;
    return { $ref: `#/components/schemas/${id}` };
  }
  return out;
}

function parameters(r: ApiRoute, components: Json): Json[] {
  const list: Json[] = [];
  for (const [where, schema] of [
    ["path", r.params],
    ["query", r.query],
  ] as const) {
    if (!schema) continue;
    const obj = jsonSchema(schema, "input", components) as { properties?: Json; required?: string[] };
    for (const [name, prop] of Object.entries(obj.properties ?? {})) {
      const { description, ...rest } = prop as Json;
      list.push({
        name,
        in: where,
        required: where === "path" || (obj.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  }
  return list;
}

let cached: Json | undefined;

export function openApiDocument(): Json {
  if (cached) return cached;
  const components: Json = {};
  const paths: Record<string, Json> = {};
  for (const r of API_ROUTES) {
    const responses: Json = {};
    for (const [status, spec] of Object.entries(r.responses)) {
      const content = spec.schema
        ? { "application/json": { schema: jsonSchema(spec.schema, "output", components) } }
        : spec.contentType
          ? { [spec.contentType]: { schema: { type: "string", contentMediaType: spec.contentType } } }
          : undefined;
      const headers = spec.headers
        ? Object.fromEntries(
            Object.entries(spec.headers).map(([name, description]) => [
              name,
              { description, schema: { type: "string" } },
            ]),
          )
        : undefined;
      responses[status] = {
        description: spec.description,
        ...(content ? { content } : {}),
        ...(headers ? { headers } : {}),
      };
    }
    const op: Json = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      security: [{ bearerToken: [] }],
      "x-scope": r.scope.toLowerCase(),
      parameters: parameters(r, components),
      responses,
    };
    if (r.body) {
      op.requestBody = {
        required: true,
        content: {
          "application/json": {
            schema: jsonSchema(r.body, "input", components),
            ...(r.bodyExample === undefined ? {} : { example: r.bodyExample }),
          },
        },
      };
    }
    paths[r.path] ??= {};
    paths[r.path]![r.method.toLowerCase()] = op;
  }
  jsonSchema(ErrorBody, "output", components);
  cached = {
    openapi: "3.1.0",
    info: {
      title: "RTMS Capture API",
      version: "1.0.0",
      description:
        "Team-scoped access to capture sessions, frames, meetings, rooms and retries. Authenticate with " +
        "`Authorization: Bearer cap_...` (a token an admin creates in the portal). Errors share one shape: " +
        "`{ error: { code, message } }`. Another team's ids answer 404.",
    },
    servers: [{ url: "/api/v1" }],
    paths,
    components: {
      schemas: components,
      securitySchemes: { bearerToken: { type: "http", scheme: "bearer", description: "cap_... API token" } },
    },
  };
  return cached;
}
