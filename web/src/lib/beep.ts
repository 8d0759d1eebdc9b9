// Short sounds made with WebAudio, so no audio file is needed: the kitchen
// display's new-ticket beep and the POS chime when a table calls for staff.
// Browsers only let a page make sound after a tap, so screens call unlock()
// from one (the kitchen display's "sound on" button, any tap on the POS).

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
    this.#tones([880, 1320], 0.18, 0.16);
  }

  /** Plays the call-for-staff chime, a falling "ding-dong" unlike the kitchen's beep (nothing when locked). */
  chime(): void {
    this.#tones([1047, 784], 0.3, 0.28);
  }

  // Plays freqs one after another, step seconds apart, each lasting length seconds.
  #tones(freqs: readonly number[], step: number, length: number): void {
    const ctx = this.#ctx;
    if (!ctx || ctx.state !== 'running') return;
    const t = ctx.currentTime;
    for (const [i, freq] of freqs.entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      const start = t + i * step;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.4, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + length + 0.01);
    }
  }

  /** Releases the audio device. */
  close(): void {
    void this.#ctx?.close();
    this.#ctx = undefined;
  }
}
