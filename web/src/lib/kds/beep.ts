// The new-ticket sound: a short two-tone beep made with WebAudio, so the
// kitchen display needs no audio file. Browsers only let a page make sound
// after a tap, so the screen has a "sound on" button that calls unlock().

type AudioContextClass = typeof AudioContext;

/** Plays beeps once a tap has unlocked audio. */
export class Beeper {
  #ctx: AudioContext | undefined;

  /** Reports whether sound is on (unlocked and running). */
  get enabled(): boolean {
    return this.#ctx !== undefined && this.#ctx.state === 'running';
  }

  /** Starts audio; call from a tap or click. Returns whether it is now on. */
  async unlock(): Promise<boolean> {
    const Ctor = (globalThis as { AudioContext?: AudioContextClass }).AudioContext;
    if (!Ctor) return false;
    this.#ctx ??= new Ctor();
    if (this.#ctx.state !== 'running') await this.#ctx.resume();
    return this.#ctx.state === 'running';
  }

  /** Plays the new-ticket beep (nothing when audio is locked). */
  beep(): void {
    const ctx = this.#ctx;
    if (!ctx || ctx.state !== 'running') return;
    const t = ctx.currentTime;
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      const start = t + i * 0.18;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.4, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + 0.17);
    }
  }

  /** Releases the audio device. */
  close(): void {
    void this.#ctx?.close();
    this.#ctx = undefined;
  }
}
