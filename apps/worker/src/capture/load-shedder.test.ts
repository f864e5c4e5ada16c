import { describe, expect, it } from "vitest";
import { LoadShedder } from "./load-shedder.ts";

/** A shedder watching two signals fed these readings, one pair per sample(). */
function fed(loop: number[], writing: number[] = []) {
  const gaps: number[] = [];
  const shedder = new LoadShedder({
    signals: [
      { name: "loop", read: () => loop.shift() ?? 0, high: 0.9, low: 0.75 },
      { name: "writing", read: () => writing.shift() ?? 0, high: 100, low: 50 },
    ],
    onGap: (g) => gaps.push(g),
  });
  return { shedder, gaps, run: (n: number) => Array.from({ length: n }, () => shedder.sample()) };
}

describe("LoadShedder", () => {
  it("does nothing while every signal stays at or under its high mark, or passes it only once", () => {
    const { shedder, gaps, run } = fed([0.5, 0.89, 0.9, 0.2, 0.95, 0.5, 0.95], [100, 10, 99, 0, 0, 150, 0]);
    run(7);
    expect(shedder.gapMs).toBe(0);
    expect(gaps).toEqual([]);
    expect(shedder.sheds(0, 1)).toBe(false);
  });

  it("doubles the gap while a signal is hot, up to the cap, and halves it once all are cool", () => {
    // 0.8 is between the loop's marks: the gap holds. Writing at 60 is above its low mark: holds too.
    const { shedder, gaps, run } = fed(
      [0.95, 0.95, 1, 1, 1, 1, 1, 0.8, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
      [0, 0, 0, 0, 0, 0, 0, 0, 60, 0, 0, 0, 0, 0, 0],
    );
    run(15);
    expect(gaps).toEqual([400, 800, 1600, 3200, 5000, 2500, 1250, 625, 312.5, 0]);
    expect(shedder.gapMs).toBe(0);
  });

  it("grows on either signal alone", () => {
    const { shedder, run } = fed([0, 0, 0], [150, 150, 150]);
    run(3);
    expect(shedder.gapMs).toBe(800);
  });

  it("sheds a participant's frames inside the gap, never their first", () => {
    const { shedder, run } = fed([0.95, 0.95]);
    run(2);
    expect(shedder.sheds(undefined, 10_000)).toBe(false); // first frame of this participant
    expect(shedder.sheds(10_000, 10_399)).toBe(true);
    expect(shedder.sheds(10_000, 10_400)).toBe(false);
  });
});
