export { LocalCheckpointStorage, METADATA_FILE, type CheckpointStorage } from './storage.ts';
export { CheckpointCoordinator, latestCheckpointWorkers, type CheckpointedJob, type CheckpointStats, type CoordinatorOptions, type RestoredCheckpoint } from './coordinator.ts';
export { jobFingerprint, checkSameJob, decodeMetadata, decodePart, encodePart, sha256, type CheckpointMetadata, type JobFingerprint, type OperatorPart, type PartInfo } from './format.ts';
export { checkpointedKeyState } from './key-state.ts';
export { parseDuration, restartDelays, type RestartStrategy } from './options.ts';
export { rescaleParts, type RestorePiece, type SourceRestore } from './rescale.ts';
