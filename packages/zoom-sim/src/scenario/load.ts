import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ZoomSimError } from "../errors.ts";
import { type Scenario, scenarioSchema } from "./schema.ts";

/** Validate a scenario given as an object, or as YAML/JSON text (YAML is a superset of JSON). */
export function parseScenario(input: unknown, source = "scenario"): Scenario {
  let data = input;
  if (typeof input === "string") {
    try {
      data = parseYaml(input);
    } catch (err) {
      throw new ZoomSimError(
        "SCENARIO_INVALID",
        `${source}: not valid YAML/JSON: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  const result = scenarioSchema.safeParse(data);
  if (!result.success) {
    throw new ZoomSimError("SCENARIO_INVALID", `${source} is invalid:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

export async function loadScenarioFile(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ZoomSimError("SCENARIO_INVALID", `cannot read scenario ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseScenario(text, path);
}
