// The node's transaction messages (src/IExecChain.Core/Protos/transactions.proto and market.proto),
// field by field. Names are the proto's JSON names (lowerCamelCase), as Google.Protobuf's
// FieldDescriptor.JsonName gives them, so the known-answer vectors written by the C# test read
// straight into these schemas. A bytes field with a `kind` must have that length.

const ADDRESS = { name: 'address', length: 20 };
const OPTIONAL_ADDRESS = { name: 'address', length: 20, optional: true };
const HASH = { name: 'hash', length: 32 };
const PUBLIC_KEY = { name: 'public key (uncompressed, without the 0x04 prefix)', length: 64 };

function enumeration(name, prefix, values) {
  const byNumber = new Map();
  const shortByNumber = new Map();
  const byName = new Map();
  values.forEach((short, number) => {
    const full = `${prefix}_${short.toUpperCase()}`;
    byNumber.set(number, full);
    shortByNumber.set(number, short);
    byName.set(full, number);
    byName.set(short, number);
  });
  return { name, byNumber, shortByNumber, byName };
}

export const StakeRole = enumeration('StakeRole', 'STAKE_ROLE', ['unspecified', 'validator', 'worker']);
export const AppRuntime = enumeration('AppRuntime', 'APP_RUNTIME', ['unspecified', 'wasm', 'native']);
export const ReplicaFailure = enumeration('ReplicaFailure', 'REPLICA_FAILURE', [
  'unspecified', 'invalid_app', 'out_of_fuel', 'out_of_memory', 'trapped', 'output_too_large',
  'timeout', 'fetch_failed', 'app_unavailable', 'too_many_processes',
]);

/**
 * A message schema. `fields`: [number, name, type, options] with options { kind, enum, message,
 * repeated, oneof }; `required`: the oneofs that must have a member set.
 */
function message(name, fields, required = []) {
  const list = fields
    .map(([number, fieldName, type, options = {}]) => ({ number, name: fieldName, type, ...options }))
    .sort((a, b) => a.number - b.number); // Google.Protobuf writes in field-number order
  const oneofs = new Map();
  for (const field of list) {
    if (field.oneof === undefined) continue;
    if (!oneofs.has(field.oneof)) oneofs.set(field.oneof, { members: [], required: required.includes(field.oneof) });
    oneofs.get(field.oneof).members.push(field.name);
  }
  return { name, fields: list, byName: new Map(list.map(field => [field.name, field])), oneofs };
}

// ---- market.proto ----

export const Attribute = message('Attribute', [
  [1, 'name', 'string'],
  [2, 'intValue', 'int64', { oneof: 'value' }],
  [3, 'boolValue', 'bool', { oneof: 'value' }],
  [4, 'stringValue', 'string', { oneof: 'value' }],
]);

export const AppOrder = message('AppOrder', [
  [1, 'app', 'bytes', { kind: ADDRESS }],
  [2, 'price', 'uint64'],
  [3, 'volume', 'uint64'],
  [4, 'tag', 'fixed64'],
  [5, 'datasetRestrict', 'bytes', { kind: ADDRESS, repeated: true }],
  [6, 'workerpoolRestrict', 'bytes', { kind: ADDRESS, repeated: true }],
  [7, 'requesterRestrict', 'bytes', { kind: ADDRESS, repeated: true }],
  [8, 'salt', 'bytes'],
]);

export const DatasetOrder = message('DatasetOrder', [
  [1, 'dataset', 'bytes', { kind: ADDRESS }],
  [2, 'price', 'uint64'],
  [3, 'volume', 'uint64'],
  [4, 'tag', 'fixed64'],
  [5, 'appRestrict', 'bytes', { kind: ADDRESS, repeated: true }],
  [6, 'workerpoolRestrict', 'bytes', { kind: ADDRESS, repeated: true }],
  [7, 'requesterRestrict', 'bytes', { kind: ADDRESS, repeated: true }],
  [8, 'salt', 'bytes'],
]);

export const WorkerpoolOrder = message('WorkerpoolOrder', [
  [1, 'workerpool', 'bytes', { kind: ADDRESS }],
  [2, 'price', 'uint64'],
  [3, 'volume', 'uint64'],
  [4, 'tag', 'fixed64'],
  [5, 'category', 'uint64'],
  [6, 'trust', 'uint64'],
  [7, 'appRestrict', 'bytes', { kind: ADDRESS, repeated: true }],
  [8, 'datasetRestrict', 'bytes', { kind: ADDRESS, repeated: true }],
  [9, 'requesterRestrict', 'bytes', { kind: ADDRESS, repeated: true }],
  [10, 'salt', 'bytes'],
  [11, 'capabilities', 'message', { message: Attribute, repeated: true }],
  [12, 'requirements', 'string'],
  [13, 'performance', 'uint32'],
  [14, 'energyEfficiency', 'uint32'],
]);

export const RankingWeights = message('RankingWeights', [
  [1, 'cost', 'uint32'],
  [2, 'performance', 'uint32'],
  [3, 'reliability', 'uint32'],
  [4, 'trust', 'uint32'],
  [5, 'energy', 'uint32'],
]);

export const RequestOrder = message('RequestOrder', [
  [1, 'app', 'bytes', { kind: ADDRESS }],
  [2, 'appMaxPrice', 'uint64'],
  [3, 'dataset', 'bytes', { kind: OPTIONAL_ADDRESS }],
  [4, 'datasetMaxPrice', 'uint64'],
  [5, 'workerpool', 'bytes', { kind: OPTIONAL_ADDRESS }],
  [6, 'workerpoolMaxPrice', 'uint64'],
  [7, 'requester', 'bytes', { kind: ADDRESS }],
  [8, 'volume', 'uint64'],
  [9, 'tag', 'fixed64'],
  [10, 'category', 'uint64'],
  [11, 'trust', 'uint64'],
  [12, 'beneficiary', 'bytes', { kind: OPTIONAL_ADDRESS }],
  [13, 'params', 'string'],
  [14, 'salt', 'bytes'],
  [15, 'requirements', 'string'],
  [16, 'attributes', 'message', { message: Attribute, repeated: true }],
  [17, 'weights', 'message', { message: RankingWeights }],
]);

// ---- transactions.proto: payloads ----

export const Transfer = message('Transfer', [
  [1, 'to', 'bytes', { kind: ADDRESS }],
  [2, 'amount', 'uint64'],
]);

export const Stake = message('Stake', [
  [1, 'role', 'enum', { enum: StakeRole }],
  [2, 'amount', 'uint64'],
]);

export const Unstake = message('Unstake', [
  [1, 'role', 'enum', { enum: StakeRole }],
  [2, 'amount', 'uint64'],
]);

export const AdmitValidator = message('AdmitValidator', [[1, 'publicKey', 'bytes', { kind: PUBLIC_KEY }]]);
export const RemoveValidator = message('RemoveValidator', [[1, 'address', 'bytes', { kind: ADDRESS }]]);
export const ChangeParameter = message('ChangeParameter', [[1, 'name', 'string'], [2, 'value', 'uint64']]);
export const AppDecision = message('AppDecision', [[1, 'app', 'bytes', { kind: ADDRESS }]]);

export const GovernancePropose = message('GovernancePropose', [
  [1, 'admitValidator', 'message', { message: AdmitValidator, oneof: 'action' }],
  [2, 'removeValidator', 'message', { message: RemoveValidator, oneof: 'action' }],
  [3, 'changeParameter', 'message', { message: ChangeParameter, oneof: 'action' }],
  [4, 'approveApp', 'message', { message: AppDecision, oneof: 'action' }],
  [5, 'revokeApp', 'message', { message: AppDecision, oneof: 'action' }],
  [10, 'descriptionHash', 'bytes', { kind: HASH }],
], ['action']);

export const GovernanceVote = message('GovernanceVote', [
  [1, 'proposalId', 'uint64'],
  [2, 'approve', 'bool'],
]);

export const AnchorReceipt = message('AnchorReceipt', [
  [1, 'checkpointNumber', 'uint64'],
  [2, 'ethChainId', 'uint64'],
  [3, 'anchorContract', 'bytes', { kind: ADDRESS }],
  [4, 'ethTxHash', 'bytes', { kind: HASH }],
  [5, 'ethBlockNumber', 'uint64'],
]);

export const RegisterApp = message('RegisterApp', [
  [1, 'name', 'string'],
  [2, 'runtime', 'enum', { enum: AppRuntime }],
  [3, 'contentRoot', 'bytes', { kind: HASH }],
  [4, 'contentSize', 'uint64'],
  [5, 'endpoint', 'string'],
  [6, 'manifest', 'string'],
]);

export const RegisterDataset = message('RegisterDataset', [
  [1, 'name', 'string'],
  [2, 'contentRoot', 'bytes', { kind: HASH }],
  [3, 'size', 'uint64'],
  [4, 'endpoint', 'string'],
]);

export const RegisterWorkerpool = message('RegisterWorkerpool', [
  [1, 'description', 'string'],
  [2, 'workerStakeRatio', 'uint32'],
  [3, 'schedulerRewardRatio', 'uint32'],
  [4, 'workerAllow', 'bytes', { kind: ADDRESS, repeated: true }],
  [5, 'allowNative', 'bool'],
]);

export const JoinPool = message('JoinPool', [
  [1, 'workerpool', 'bytes', { kind: ADDRESS }],
  [2, 'endpoint', 'string'],
]);

export const LeavePool = message('LeavePool', []);

export const PlaceOrder = message('PlaceOrder', [
  [1, 'app', 'message', { message: AppOrder, oneof: 'order' }],
  [2, 'dataset', 'message', { message: DatasetOrder, oneof: 'order' }],
  [3, 'workerpool', 'message', { message: WorkerpoolOrder, oneof: 'order' }],
  [4, 'request', 'message', { message: RequestOrder, oneof: 'order' }],
], ['order']);

export const CancelOrder = message('CancelOrder', [[1, 'orderHash', 'bytes', { kind: HASH }]]);

export const Contribute = message('Contribute', [
  [1, 'taskId', 'bytes', { kind: HASH }],
  [2, 'resultHash', 'bytes', { kind: HASH }],
  [3, 'resultSeal', 'bytes', { kind: HASH }],
]);

export const Reveal = message('Reveal', [
  [1, 'taskId', 'bytes', { kind: HASH }],
  [2, 'resultDigest', 'bytes', { kind: HASH }],
]);

export const Challenge = message('Challenge', [[1, 'taskId', 'bytes', { kind: HASH }]]);

export const Withdraw = message('Withdraw', [
  [1, 'recipient', 'bytes', { kind: ADDRESS }],
  [2, 'amount', 'uint64'],
]);

export const BridgeDeposit = message('BridgeDeposit', [
  [1, 'id', 'uint64'],
  [2, 'depositor', 'bytes', { kind: ADDRESS }],
  [3, 'recipient', 'bytes', { kind: ADDRESS }],
  [4, 'amount', 'uint64'],
  [5, 'ethTxHash', 'bytes', { kind: HASH }],
  [6, 'ethBlockNumber', 'uint64'],
]);

export const AttestDeposits = message('AttestDeposits', [
  [1, 'deposits', 'message', { message: BridgeDeposit, repeated: true }],
]);

export const ReportFailure = message('ReportFailure', [
  [1, 'taskId', 'bytes', { kind: HASH }],
  [2, 'failure', 'enum', { enum: ReplicaFailure }],
]);

/** The payload members of TransactionBody, by JSON name, with their field numbers. */
const PAYLOADS = [
  [10, 'transfer', Transfer],
  [11, 'stake', Stake],
  [12, 'unstake', Unstake],
  [13, 'propose', GovernancePropose],
  [14, 'vote', GovernanceVote],
  [15, 'anchorReceipt', AnchorReceipt],
  [16, 'registerApp', RegisterApp],
  [17, 'registerDataset', RegisterDataset],
  [18, 'registerWorkerpool', RegisterWorkerpool],
  [19, 'joinPool', JoinPool],
  [20, 'leavePool', LeavePool],
  [21, 'placeOrder', PlaceOrder],
  [22, 'cancelOrder', CancelOrder],
  [23, 'contribute', Contribute],
  [24, 'reveal', Reveal],
  [25, 'challenge', Challenge],
  [26, 'withdraw', Withdraw],
  [27, 'attestDeposits', AttestDeposits],
  [28, 'reportFailure', ReportFailure],
];

export const PAYLOAD_NAMES = PAYLOADS.map(([, name]) => name);

export const TransactionBody = message('TransactionBody', [
  [1, 'chainId', 'uint64'],
  [2, 'nonce', 'uint64'],
  [3, 'fee', 'uint64'],
  ...PAYLOADS.map(([number, name, schema]) => [number, name, 'message', { message: schema, oneof: 'payload' }]),
], ['payload']);

export const SignedTransaction = message('SignedTransaction', [
  [1, 'body', 'bytes'],
  [2, 'signature', 'bytes', { kind: { name: 'signature', length: 65 } }],
]);

/** The order kinds and the kind byte of their hash (OrderCodec.Kind in the node). */
export const ORDER_KINDS = { app: 1, dataset: 2, workerpool: 3, request: 4 };
export const ORDER_SCHEMAS = { app: AppOrder, dataset: DatasetOrder, workerpool: WorkerpoolOrder, request: RequestOrder };
