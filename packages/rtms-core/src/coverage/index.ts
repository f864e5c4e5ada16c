export { subscribeOutcome } from "./outcome.ts";
export {
  type CoverageEvent,
  CoverageScheduler,
  type CoverageSchedulerOptions,
  type KnownParticipant,
  type SubscribeOutcome,
  type TurnEndReason,
} from "./scheduler.ts";
