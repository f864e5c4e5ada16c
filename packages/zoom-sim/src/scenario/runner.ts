// Plays a scenario against a running simulator: rooms and meeting first, rtms_started once someone can hear
// it, then the timeline (looped if asked), restarting the stream if it ends early and the scenario wants that.
import type { Logger } from "@capture/rtms-core/logger";
import { StopReason } from "@capture/rtms-core/protocol";
import { applyFault } from "../fault-commands.ts";
import type { LiveMeeting, ZoomSim } from "../sim.ts";
import type { Scenario, ScenarioStep } from "./schema.ts";

export interface ScenarioRun {
  meeting: LiveMeeting;
  /** Resolves when the scenario ends (duration reached or stop() called). */
  done: Promise<void>;
  stop(): void;
}

export function runScenario(sim: ZoomSim, scenario: Scenario, log: Logger = sim.log): ScenarioRun {
  for (const room of scenario.rooms) sim.addRoom(room);
  const meeting = sim.createMeeting({ ...scenario.meeting, participants: scenario.participants });
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn();
    }, ms);
    timers.add(t);
  };

  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    sim.off("stream-stopped", onStreamStopped);
    finish();
  };

  const runStep = (step: ScenarioStep) => {
    try {
      if (step.join) {
        const present = meeting.find(step.join.name);
        if (present) meeting.setCamera(present.userId, step.join.camera ?? true);
        else meeting.addParticipant(step.join);
      } else if (step.leave !== undefined) {
        if (meeting.find(step.leave)) meeting.removeParticipant(step.leave);
      } else if (step.camera) {
        meeting.setCamera(step.camera.participant, step.camera.on);
      } else if (step.speaker !== undefined) {
        meeting.setActiveSpeaker(step.speaker);
      } else if (step.room) {
        sim.rooms.setStatus(step.room.id, step.room.status);
      } else if (step.fault) {
        applyFault(sim, step.fault);
      } else if (step.rtms) {
        const action = typeof step.rtms === "string" ? step.rtms : step.rtms.action;
        if (action === "start") void meeting.startRtms();
        else if (action === "pause") meeting.stream?.pause();
        else if (action === "resume") meeting.stream?.resume();
        else
          meeting.stopRtms(
            typeof step.rtms === "object" ? step.rtms.reason : StopReason.STOP_BC_MEETING_ENDED,
          );
      }
      log.info({ at: step.at, step: Object.keys(step).find((k) => k !== "at") }, "scenario step");
    } catch (err) {
      // A step about someone who is not there (a room that never joined...) is logged, never fatal.
      log.warn({ err: (err as Error).message, at: step.at }, "scenario step skipped");
    }
  };

  const playTimeline = () => {
    for (const step of scenario.timeline) later(step.at, () => runStep(step));
    if (scenario.loop !== undefined) later(scenario.loop, playTimeline);
  };

  function onStreamStopped(payload: { streamId: string; reason: number }) {
    if (stopped || payload.streamId !== meeting.stream?.id || scenario.restartAfter === undefined) return;
    log.info({ reason: payload.reason, inMs: scenario.restartAfter }, "stream ended early: restarting it");
    later(scenario.restartAfter, () => void startStream());
  }
  sim.on("stream-stopped", onStreamStopped);

  const startStream = async () => {
    await meeting.startRtms({ waitForConsumer: scenario.start === "on-consumer" });
  };

  const begin = async () => {
    if (scenario.start !== "never") {
      if (scenario.start === "on-consumer" && !sim.consumerReady)
        log.info("waiting for an event-WS client or webhook target");
      await startStream();
      if (stopped) return;
      log.info({ streamId: meeting.stream?.id }, "scenario stream started");
    }
    playTimeline();
    if (scenario.duration !== undefined) {
      later(scenario.duration, () => {
        meeting.stopRtms(StopReason.STOP_BC_MEETING_ENDED);
        stop();
      });
    }
  };
  begin().catch((err: unknown) => {
    log.error({ err }, "scenario failed to start");
    stop();
  });

  return { meeting, done, stop };
}
