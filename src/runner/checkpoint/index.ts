export { LocalCheckpointStorage, METADATA_FILE, type CheckpointStorage } from './storage.ts';
export { CheckpointCoordinator, type CheckpointedJob, type CheckpointStats, type CoordinatorOptions, type RestoredCheckpoint } from './coordinator.ts';
export { jobFingerprint, checkSameJob, decodeMetadata, decodePart, encodePart, type CheckpointMetadata, type JobFingerprint, type OperatorPart, type PartInfo } from './format.ts';
export { checkpointedKeyState } from './key-state.ts';
export { parseDuration, restartDelays, type RestartStrategy } from './options.ts';
