/** The parts of a Map Run the service exposes (implemented by MapRun in map/map-run.ts). */
export interface MapRunHandle {
  readonly mapRunArn: string;
  readonly executionArn: string;
  readonly childArnPrefix: string;
}
