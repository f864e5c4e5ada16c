export { loadScenarioFile, parseScenario } from "./load.ts";
export { runScenario, type ScenarioRun } from "./runner.ts";
export {
  parseDuration,
  type Scenario,
  type ScenarioInput,
  type ScenarioStep,
  scenarioSchema,
} from "./schema.ts";
