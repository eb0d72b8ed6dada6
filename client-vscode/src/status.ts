/** What the status bar item shows for each server state (from `lantern/status`) and client state. */

/** States the server reports in `lantern/status`. */
export type ServerState = "idle" | "analysing" | "error" | "unreachable";
/** States only the client knows: before the server answered, or after it stopped. */
export type ClientState = "starting" | "stopped";
export type State = ServerState | ClientState;

export interface StatusParams {
  state?: unknown;
  message?: unknown;
}

export interface StatusPresentation {
  text: string;
  tooltip: string;
  /** A ThemeColor id for the item's background, for states that need attention. */
  background?: "statusBarItem.errorBackground" | "statusBarItem.warningBackground";
}

/** Read a `lantern/status` notification; unknown states (a newer server) show as given. */
export function parseStatus(params: StatusParams | undefined): { state: string; message: string } {
  const state = typeof params?.state === "string" ? params.state : "idle";
  const message = typeof params?.message === "string" ? params.message : "";
  return { state, message };
}

export function presentStatus(state: string, message: string): StatusPresentation {
  const detail = message ? `: ${message}` : "";
  switch (state as State) {
    case "idle":
      return { text: "$(check) Lantern", tooltip: `Lantern is ready${detail}` };
    case "analysing":
      return { text: "$(sync~spin) Lantern", tooltip: `Lantern is analysing${detail}` };
    case "error":
      return {
        text: "$(error) Lantern",
        tooltip: `Lantern reported an error${detail}`,
        background: "statusBarItem.errorBackground",
      };
    case "unreachable":
      return {
        text: "$(warning) Lantern",
        tooltip: `The model is unreachable${detail}`,
        background: "statusBarItem.warningBackground",
      };
    case "starting":
      return { text: "$(loading~spin) Lantern", tooltip: `Lantern is starting${detail}` };
    case "stopped":
      return {
        text: "$(circle-slash) Lantern",
        tooltip: `Lantern is not running${detail}`,
        background: "statusBarItem.errorBackground",
      };
    default:
      return { text: `$(info) Lantern: ${state}`, tooltip: `Lantern: ${state}${detail}` };
  }
}
