// Kubernetes API object shapes the project reads and writes, hand-written with Kubernetes' own field
// names. Only the fields some part of kubewire uses are listed; the apiserver keeps the rest as sent.
// Split by area under common/api/; import from here.
export * from './api/meta.js';
export * from './api/scheduling.js';
export * from './api/pods.js';
export * from './api/nodes.js';
export * from './api/services.js';
export * from './api/workloads.js';
export * from './api/cluster-misc.js';
