// data_opt 4 (individual video, V1): the one participant a stream's signaling has subscribed to with msg 28.
// The rules (README.md, "Behaviour worth knowing"): nothing flows until a subscription; a new subscription
// replaces the old one at once; `subscribe:false` stops video; an unknown user answers 4 and a repeat of the
// current one 44. The subscribed participant's first frame comes `delayMs` after the accepted msg 28 (a switch
// is not instant on Zoom either): until then nobody's frames flow, the old participant's stopped at the answer.
import { StatusCode, statusText } from "@capture/rtms-core/protocol";
import type { SimParticipant } from "../meeting.ts";

export interface VideoSubscriptionHost {
  find(userId: number): SimParticipant | undefined;
  /** Fault: the status code msg 28 for this user answers instead of the rules (undefined = no fault). */
  refusalFor(userId: number): number | undefined;
  delayMs: number;
  emit(name: string, payload: Record<string, unknown>): void;
}

export interface SubscriptionAnswer {
  statusCode: number;
  reason: string;
}

export class VideoSubscription {
  #userId: number | undefined;
  /** False during the switch delay: the subscription is accepted but the first frame is not due yet. */
  #flowing = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly streamId: string,
    private readonly host: VideoSubscriptionHost,
  ) {}

  /** The subscribed user (accepted, flowing or not). */
  get userId(): number | undefined {
    return this.#userId;
  }

  /** Whose frames data_opt 4 sends right now (camera state is the pump's to check). */
  source(): SimParticipant | undefined {
    if (this.#userId === undefined || !this.#flowing) return undefined;
    return this.host.find(this.#userId);
  }

  /** Apply one msg 28 and say what msg 29 answers. `rawUserId` is the wire value (integer or string). */
  request(rawUserId: string, subscribe: boolean): SubscriptionAnswer {
    const userId = Number(rawUserId);
    const known = Number.isInteger(userId) ? this.host.find(userId) : undefined;
    const refusal = known && subscribe ? this.host.refusalFor(userId) : undefined;
    if (refusal !== undefined) return this.#refuse(userId, refusal, statusText(refusal));
    if (!known) return this.#refuse(rawUserId, StatusCode.INVALID_PAYLOAD, "unknown user_id");
    if (!subscribe) {
      if (this.#userId === userId) {
        this.#set(undefined);
        this.host.emit("video-unsubscribed", { streamId: this.streamId, userId });
      }
      return { statusCode: StatusCode.OK, reason: "" };
    }
    if (this.#userId === userId) {
      return this.#refuse(userId, StatusCode.DUPLICATE_VIDEO_SUBSCRIPTION, statusText(44));
    }
    // A new subscription replaces the previous one at once.
    this.#set(userId);
    this.host.emit("video-subscribed", { streamId: this.streamId, userId, delayMs: this.host.delayMs });
    return { statusCode: StatusCode.OK, reason: "" };
  }

  /** The subscribed participant left the meeting: the subscription ends with them. */
  left(userId: number): void {
    if (this.#userId === userId) this.#set(undefined);
  }

  dispose(): void {
    this.#set(undefined);
  }

  #refuse(userId: number | string, statusCode: number, reason: string): SubscriptionAnswer {
    this.host.emit("video-subscription-refused", { streamId: this.streamId, userId, statusCode });
    return { statusCode, reason };
  }

  #set(userId: number | undefined): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#userId = userId;
    this.#flowing = false;
    if (userId === undefined) return;
    const start = () => {
      this.#timer = undefined;
      this.#flowing = true;
      this.host.emit("video-flowing", { streamId: this.streamId, userId });
    };
    if (this.host.delayMs <= 0) start();
    else this.#timer = setTimeout(start, this.host.delayMs);
  }
}
