// No Docker engine runs on our CI machines, so the compose file and the Dockerfiles are checked here for
// the properties that matter: every dependency waits on a real health signal, every image builds from a
// Dockerfile that exists, is multi-stage and ends as a non-root user, and the one-shot migrate service
// runs the same command CI runs.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";

const root = path.resolve(import.meta.dirname, "../../..");

const Service = z.object({
  image: z.string().optional(),
  build: z.object({ context: z.string(), dockerfile: z.string() }).optional(),
  command: z.array(z.string()).optional(),
  entrypoint: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  depends_on: z
    .record(z.string(), z.object({ condition: z.string(), required: z.boolean().optional() }))
    .optional(),
  healthcheck: z.object({ test: z.array(z.string()) }).optional(),
  profiles: z.array(z.string()).optional(),
  restart: z.string().optional(),
});
const Compose = z.object({
  services: z.record(z.string(), Service),
  volumes: z.record(z.string(), z.unknown()),
});

const compose = Compose.parse(
  parse(readFileSync(path.join(root, "docker-compose.yml"), "utf8"), { merge: true }),
);
const services = compose.services;

describe("docker-compose.yml", () => {
  it("has the product's services, zoom-sim only under the demo profile, MinIO only under s3", () => {
    expect(Object.keys(services).sort()).toEqual([
      "migrate",
      "minio",
      "minio-init",
      "postgres",
      "redis",
      "web",
      "worker",
      "zoom-sim",
    ]);
    expect(services["zoom-sim"]!.profiles).toEqual(["demo"]);
    expect(services.minio!.profiles).toEqual(["s3"]);
    expect(services["minio-init"]!.profiles).toEqual(["s3"]);
    for (const name of ["postgres", "redis", "migrate", "worker", "web"]) {
      expect(services[name]!.profiles, name).toBeUndefined();
    }
  });

  it("makes every dependency wait on a healthcheck or a completed one-shot", () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(service.depends_on ?? {})) {
        const target = services[dep];
        expect(target, `${name} depends on unknown ${dep}`).toBeDefined();
        // A dependency in a profile the service is not in must be optional, or plain `up` fails.
        const inactive = target!.profiles?.some((p) => !(service.profiles ?? []).includes(p)) ?? false;
        if (inactive) expect(service.depends_on![dep]!.required, `${name} -> ${dep} is optional`).toBe(false);
        if (condition === "service_healthy") {
          expect(
            target!.healthcheck,
            `${name} waits for ${dep} to be healthy, but it has no healthcheck`,
          ).toBeDefined();
        } else {
          expect(condition, `${name} -> ${dep}`).toBe("service_completed_successfully");
          expect(target!.restart, `${dep} is a one-shot`).toBe("no");
        }
      }
    }
    expect(services.migrate!.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
    expect(services["minio-init"]!.depends_on).toEqual({ minio: { condition: "service_healthy" } });
    for (const app of ["worker", "web"]) {
      expect(services[app]!.depends_on).toMatchObject({
        migrate: { condition: "service_completed_successfully" },
        redis: { condition: "service_healthy" },
        "minio-init": { condition: "service_completed_successfully", required: false },
      });
      expect(services[app]!.healthcheck, `${app} has a healthcheck`).toBeDefined();
    }
  });

  it("migrates with the same command CI runs", () => {
    expect(services.migrate!.command).toEqual(["pnpm", "--filter", "@capture/db", "migrate:deploy"]);
    const dbPackage = JSON.parse(readFileSync(path.join(root, "packages/db/package.json"), "utf8"));
    expect(dbPackage.scripts["migrate:deploy"]).toBe("prisma migrate deploy");
    expect(readFileSync(path.join(root, "scripts/lib/toolchain.sh"), "utf8")).toContain(
      "pnpm --filter @capture/db migrate:deploy",
    );
  });

  it("builds every image from a multi-stage Dockerfile that runs as a non-root user", () => {
    const dockerfiles = new Set(
      Object.values(services)
        .map((s) => s.build?.dockerfile)
        .filter((d): d is string => Boolean(d)),
    );
    expect([...dockerfiles].sort()).toEqual([
      "apps/web/Dockerfile",
      "apps/worker/Dockerfile",
      "packages/zoom-sim/Dockerfile",
    ]);
    for (const file of dockerfiles) {
      const full = path.join(root, file);
      expect(existsSync(full), `${file} exists`).toBe(true);
      const text = readFileSync(full, "utf8");
      expect(text.match(/^FROM /gm)?.length ?? 0, `${file} is multi-stage`).toBeGreaterThanOrEqual(2);
      // The RUN lines are image-steps.sh steps (image-replay.test.ts replays them); prune is turbo's.
      expect(text, `${file} prunes the workspace`).toMatch(/image-steps\.sh prune (worker|web|zoom-sim) /);
      expect(text, `${file} pins pnpm`).toContain("pnpm@10.34.9");
      const lastUser = [...text.matchAll(/^USER (\S+)/gm)].at(-1)?.[1];
      expect(lastUser, `${file} ends as a non-root user`).toBeDefined();
      expect(lastUser).not.toBe("root");
    }
  });

  it("passes no secret literally: secrets come from .env", () => {
    const text = readFileSync(path.join(root, "docker-compose.yml"), "utf8");
    for (const key of [
      "CAPTURE_ENCRYPTION_KEYS",
      "NEXTAUTH_SECRET",
      "ZOOM_CLIENT_SECRET",
      "S2S_ZOOM_CLIENT_SECRET",
      "AWS_SECRET_ACCESS_KEY",
      "MINIO_ROOT_PASSWORD",
    ]) {
      for (const line of text.split("\n").filter((l) => l.trim().startsWith(`${key}:`))) {
        expect(line, key).toMatch(/\$\{/);
      }
    }
  });
});

describe("the s3 profile", () => {
  it("gives MinIO the same login the apps' AWS SDK reads, and creates the bucket the apps use", () => {
    const appEnv = services.worker!.environment!;
    const minio = services.minio!.environment!;
    expect(minio.MINIO_ROOT_USER).toBe(appEnv.AWS_ACCESS_KEY_ID);
    expect(minio.MINIO_ROOT_PASSWORD).toBe(appEnv.AWS_SECRET_ACCESS_KEY);
    expect(services["minio-init"]!.environment!.S3_BUCKET).toBe(appEnv.S3_BUCKET);
    expect(services["minio-init"]!.command!.join(" ")).toContain("mc mb --ignore-existing");
    expect(services.minio!.image).toMatch(/^minio\/minio:RELEASE\./);
    expect(services.minio!.healthcheck).toBeDefined();
  });
});
