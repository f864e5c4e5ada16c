import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ReconnectWindows } from "./reconnect-windows.ts";

describe("ReconnectWindows", () => {
  let ended: number[];
  let w: ReconnectWindows;
  beforeEach(() => {
    vi.useFakeTimers();
    ended = [];
    w = new ReconnectWindows({ reconnectWindowMs: 100, mediaReconnectWindowMs: 200 }, (r) => ended.push(r));
  });
  afterEach(() => vi.useRealTimers());

  it("ends with 11 when nobody ever connected, 19 after a drop, 24 after a keep-alive timeout", () => {
    w.armSignaling("never-connected");
    vi.advanceTimersByTime(100);
    w.signalingLost();
    vi.advanceTimersByTime(100);
    w.armSignaling("keepalive");
    w.signalingLost(); // the socket's close after the timeout keeps the keep-alive window
    vi.advanceTimersByTime(100);
    expect(ended).toEqual([11, 19, 24]);
  });

  it("signaling back in time cancels the window and forgets the cause", () => {
    w.armSignaling("keepalive");
    vi.advanceTimersByTime(99);
    w.signalingBack();
    expect(w.cause).toBeUndefined();
    vi.advanceTimersByTime(1000);
    expect(ended).toEqual([]);
  });

  it("media: 14 when still none at the end, nothing when media came back", () => {
    let none = true;
    w.armMedia(() => none);
    w.armMedia(() => false); // already armed: the first window stands
    vi.advanceTimersByTime(200);
    w.armMedia(() => none);
    w.mediaBack();
    vi.advanceTimersByTime(200);
    w.armMedia(() => none);
    none = false;
    vi.advanceTimersByTime(200);
    expect(ended).toEqual([14]);
  });
});
