// Controls a section puts into the staff top bar (the POS puts the cashier's
// shift there) while it is on screen. The section keeps its own code: the top
// bar only renders the snippet it is given.
import { createContext, type Snippet } from 'svelte';

/** The top bar's section-owned part. */
export class TopBar {
  tools: Snippet | undefined = $state.raw();

  /** Shows tools in the top bar; returns the function that takes them away again. */
  show(tools: Snippet): () => void {
    this.tools = tools;
    return () => {
      if (this.tools === tools) this.tools = undefined;
    };
  }
}

const [getTopBar, setTopBar] = createContext<TopBar>();

/** Returns the TopBar provided by the staff app. */
export const useTopBar = getTopBar;

/** Makes bar available to every component below the caller. */
export const provideTopBar = setTopBar;
