using System.Collections.Frozen;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Market;

using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Execution;

/// <summary>
/// The words for a <see cref="Reason"/>: made off-chain (RPC, CLI, logs) from the code, its
/// arguments and, where the code says so, the transaction that failed. Nothing the chain hashes is
/// made here, so a message can be reworded freely; a new code needs its row here (a test checks
/// every code has one).
/// </summary>
public sealed class ReasonText(IReadOnlyDictionary<ReasonCode, Func<ReasonText.Args, string>> table)
{
    /// <summary>What a template can use: the reason's ids and numbers by position, and the failed transaction's body when known.</summary>
    public readonly struct Args(Reason reason, TransactionBody? body)
    {
        public TransactionBody? Body => body;

        public string Id(int i)
        {
            if (i >= reason.Ids.Count) return "?";
            var bytes = reason.Ids[i].Span;
            return bytes.Length switch
            {
                Address.Size => new Address(bytes).ToString(),
                Hash256.Size => new Hash256(bytes).ToString(),
                _ => "0x" + Convert.ToHexStringLower(bytes),
            };
        }

        public ulong N(int i) => i < reason.Numbers.Count ? reason.Numbers[i] : 0;

        public TEnum Enum<TEnum>(int i) where TEnum : struct, Enum => (TEnum)System.Enum.ToObject(typeof(TEnum), N(i));
    }

    public static ReasonText Default { get; } = new(DefaultTable());

    public IEnumerable<ReasonCode> Codes => table.Keys;

    /// <summary>The reason in words; <paramref name="body"/> (the failed transaction's) adds the details some codes leave to it.</summary>
    public string Describe(Reason? reason, TransactionBody? body = null)
    {
        if (reason is null || reason.Code == ReasonCode.ReasonNone) return "";
        return table.TryGetValue(reason.Code, out var text) ? text(new Args(reason, body)) : $"failure {(int)reason.Code} ({reason.Code})";
    }

    private static FrozenDictionary<ReasonCode, Func<Args, string>> DefaultTable() => new Dictionary<ReasonCode, Func<Args, string>>
    {
        [ReasonCode.ReasonPayloadNotExecutable] = a => $"payload {a.Enum<TransactionBody.PayloadOneofCase>(0)} is not executable",
        [ReasonCode.ReasonAmountOverflow] = _ => "an amount overflows 64 bits of nRLC",
        [ReasonCode.ReasonInsufficientBalance] = a => $"insufficient balance: {a.N(0)} < {a.N(1)}",
        [ReasonCode.ReasonStakeBelowMinimum] = a => $"{a.Enum<StakeRole>(0)} stake would be {a.N(1)}, below the minimum {a.N(2)}",
        [ReasonCode.ReasonUnstakeExceedsStake] = a => $"{a.Enum<StakeRole>(0)} stake is {a.N(1)}, cannot unstake {a.N(2)}",
        [ReasonCode.ReasonUnstakeRemainderBelowMinimum] = a => $"remaining {a.Enum<StakeRole>(0)} stake {a.N(1)} would be below the minimum {a.N(2)}; unstake all or less",
        [ReasonCode.ReasonPoolMemberKeepsMinimumStake] = a => $"a workerpool member keeps at least the minimum worker stake {a.N(0)}; leave the pool first",
        [ReasonCode.ReasonCheckpointNotRecorded] = a => $"checkpoint {a.N(0)} is not recorded on this chain",
        [ReasonCode.ReasonAnchorAlreadyRecorded] = a => $"Ethereum transaction {a.Id(0)} is already recorded for checkpoint {a.N(0)}",
        [ReasonCode.ReasonCheckpointAnchorsFull] = a => $"checkpoint {a.N(0)} already holds {a.N(1)} anchor receipts",

        [ReasonCode.ReasonWithdrawalExceedsBridgedSupply] = a => $"withdrawal of {a.N(1)} nRLC exceeds the bridged supply {a.N(0)} (RLC locked on Ethereum for this chain)",
        [ReasonCode.ReasonBridgeNotConfigured] = _ => "this chain has no bridge (chain spec parameters.bridge)",
        [ReasonCode.ReasonAttesterNotValidator] = a => $"{a.Id(0)} is not in the validator set: only validators attest deposits",
        [ReasonCode.ReasonDepositTooFarAhead] = a => $"deposit {a.N(0)} is too far ahead of the next deposit to credit ({a.N(1)}; at most {a.N(2)} ahead)",
        [ReasonCode.ReasonDepositAlreadyAttested] = a => $"{a.Id(0)} already attested different content for deposit {a.N(0)}",
        [ReasonCode.ReasonDepositCandidatesFull] = a => $"deposit {a.N(0)} already has {a.N(1)} conflicting attestations",

        [ReasonCode.ReasonAppExists] = a => $"app {a.Id(0)} already exists",
        [ReasonCode.ReasonDatasetSizeZero] = _ => "register_dataset.size must be positive",
        [ReasonCode.ReasonDatasetExists] = a => $"dataset {a.Id(0)} already exists",
        [ReasonCode.ReasonWorkerpoolExists] = a => $"workerpool {a.Id(0)} already exists",
        [ReasonCode.ReasonWorkerpoolNotFound] = a => $"workerpool {a.Id(0)} does not exist",
        [ReasonCode.ReasonWorkerNotAdmitted] = a => $"workerpool {a.Id(0)} does not admit worker {a.Id(1)}",
        [ReasonCode.ReasonWorkerStakeBelowMinimum] = a => $"worker stake {a.N(0)} is below the minimum {a.N(1)} nRLC",
        [ReasonCode.ReasonAlreadyInThisPool] = a => $"already a member of workerpool {a.Id(0)}",
        [ReasonCode.ReasonAlreadyInAnotherPool] = a => $"already a member of workerpool {a.Id(0)}; leave it first",
        [ReasonCode.ReasonNotInAPool] = _ => "not a member of any workerpool",
        [ReasonCode.ReasonAppNotFound] = a => $"app {a.Id(0)} does not exist",
        [ReasonCode.ReasonAppNotPending] = a => $"app {a.Id(0)} is not pending approval",

        [ReasonCode.ReasonInvalidOrder] = InvalidOrder,
        [ReasonCode.ReasonNotAppOwner] = a => $"only the owner of app {a.Id(0)} may sell it",
        [ReasonCode.ReasonAppRevoked] = a => $"app {a.Id(0)} is revoked",
        [ReasonCode.ReasonAppNotApproved] = a => $"app {a.Id(0)} is not approved yet",
        [ReasonCode.ReasonDatasetNotFound] = a => $"dataset {a.Id(0)} does not exist",
        [ReasonCode.ReasonNotDatasetOwner] = a => $"only the owner of dataset {a.Id(0)} may sell it",
        [ReasonCode.ReasonNotWorkerpoolOwner] = a => $"only the owner of workerpool {a.Id(0)} may offer it",
        [ReasonCode.ReasonCategoryNotFound] = a => $"category {a.N(0)} does not exist",
        [ReasonCode.ReasonRequesterNotSender] = a => $"requester {a.Id(0)} is not the sender {a.Id(1)}",
        [ReasonCode.ReasonNoOrder] = _ => "place_order carries no order",
        [ReasonCode.ReasonOrderExists] = a => $"order {a.Id(0)} was already placed (change its salt to place the same terms again)",
        [ReasonCode.ReasonCannotLockOrderCost] = a => $"balance {a.N(0)} cannot lock the order's maximum cost {a.N(1)} ({a.N(2)} per task x {a.N(3)})",
        [ReasonCode.ReasonCannotLockPoolStake] = a => $"balance {a.N(0)} cannot lock the pool stake {a.N(1)} ({a.N(2)} per task x {a.N(3)})",
        [ReasonCode.ReasonOrderNotFound] = a => $"order {a.Id(0)} does not exist",
        [ReasonCode.ReasonOrderNotOwned] = a => $"order {a.Id(0)} belongs to {a.Id(1)}",
        [ReasonCode.ReasonOrderFilled] = a => $"order {a.Id(0)} is already filled",
        [ReasonCode.ReasonOrderCancelled] = a => $"order {a.Id(0)} is already cancelled",

        [ReasonCode.ReasonTaskNotFound] = a => $"task {a.Id(0)} does not exist",
        [ReasonCode.ReasonContributionsClosed] = a => $"task {a.Id(0)} is {MarketBlock.StatusName(a.Enum<TaskStatus>(0))}: contributions are closed",
        [ReasonCode.ReasonContributionDeadlinePassed] = a => $"task {a.Id(0)}: the contribution deadline (block {a.N(0)}) has passed",
        [ReasonCode.ReasonNotAssigned] = a => $"worker {a.Id(0)} is not assigned to task {a.Id(1)}",
        [ReasonCode.ReasonReplicaNotOpen] = a => $"worker {a.Id(0)} cannot contribute to task {a.Id(1)}: its replica is {a.Enum<ReplicaStatus>(0)}",
        [ReasonCode.ReasonReplicaTimedOut] = a => $"worker {a.Id(0)}'s replica of task {a.Id(1)} timed out at block {a.N(0)}",
        [ReasonCode.ReasonCannotLockWorkerStake] = a => $"balance {a.N(0)} cannot lock the worker stake {a.N(1)}",
        [ReasonCode.ReasonNothingToReveal] = a => $"task {a.Id(0)} is {MarketBlock.StatusName(a.Enum<TaskStatus>(0))}: nothing to reveal",
        [ReasonCode.ReasonRevealDeadlinePassed] = a => $"task {a.Id(0)}: the reveal deadline (block {a.N(0)}) has passed",
        [ReasonCode.ReasonNoReplica] = a => $"worker {a.Id(0)} has no replica of task {a.Id(1)}",
        [ReasonCode.ReasonAlreadyRevealed] = a => $"worker {a.Id(0)} already revealed task {a.Id(1)}",
        [ReasonCode.ReasonNotConsensusContributor] = a => $"worker {a.Id(0)} did not contribute the consensus result of task {a.Id(1)}",
        [ReasonCode.ReasonDigestDoesNotOpen] = a => $"the digest does not open worker {a.Id(0)}'s commit on task {a.Id(1)}",

        [ReasonCode.ReasonNoRollbackWindow] = _ => "this chain has no rollback window (market.rollbackWindowBlocks = 0): results cannot be challenged",
        [ReasonCode.ReasonNotChallengeable] = a => $"task {a.Id(0)} is {MarketBlock.StatusName(a.Enum<TaskStatus>(0))}: only a completed task's result can be challenged",
        [ReasonCode.ReasonAlreadyVerified] = a =>
            $"task {a.Id(0)} already had a {(a.N(0) == 0 ? "spot-check" : "challenge")} ({MarketBlock.PhaseName(a.Enum<VerificationPhase>(1))}): a result is verified once",
        [ReasonCode.ReasonWindowClosed] = a => $"task {a.Id(0)}: its rollback window closed at block {a.N(0)}",
        [ReasonCode.ReasonChallengerNotStaked] = a => $"{a.Id(0)} is not staked: only validators and workers with the minimum stake may challenge",
        [ReasonCode.ReasonCannotLockBond] = a => $"balance {a.N(0)} cannot lock the challenge bond {a.N(1)}",
        [ReasonCode.ReasonNotAVerifier] = a => $"worker {a.Id(0)} is not a verifier of task {a.Id(1)}",
        [ReasonCode.ReasonVerifierReplicaNotOpen] = a => $"verifier {a.Id(0)} cannot commit on task {a.Id(1)}: its replica is {a.Enum<ReplicaStatus>(0)}",
        [ReasonCode.ReasonVerifierReplicaTimedOut] = a => $"verifier {a.Id(0)}'s replica of task {a.Id(1)} timed out at block {a.N(0)}",
        [ReasonCode.ReasonVerifierRevealDeadlinePassed] = a => $"task {a.Id(0)}: the verifiers' reveal deadline (block {a.N(0)}) has passed",
        [ReasonCode.ReasonVerifierAlreadyRevealed] = a => $"verifier {a.Id(0)} already revealed task {a.Id(1)}",
        [ReasonCode.ReasonVerifierDidNotCommit] = a => $"verifier {a.Id(0)} did not commit on task {a.Id(1)}",
        [ReasonCode.ReasonVerifierDigestDoesNotOpen] = a => $"the digest does not open verifier {a.Id(0)}'s commit on task {a.Id(1)}",

        [ReasonCode.ReasonProposerNotValidator] = _ => "only validators of the current set may propose",
        [ReasonCode.ReasonDescriptionHashLength] = a => $"description hash must be 32 bytes, got {a.N(0)}",
        [ReasonCode.ReasonVoterNotValidator] = _ => "only validators of the current set may vote",
        [ReasonCode.ReasonProposalNotFound] = a => $"proposal {a.N(0)} does not exist",
        [ReasonCode.ReasonProposalClosed] = a => $"proposal {a.N(0)} is closed ({a.Enum<ProposalStatus>(1)})",
        [ReasonCode.ReasonProposalExpired] = a => $"proposal {a.N(0)} expired at height {a.N(1)}",
        [ReasonCode.ReasonAlreadyVoted] = a => $"{a.Id(0)} already voted on proposal {a.N(0)}",
        [ReasonCode.ReasonMarketUnavailable] = _ => "the market is not available here",
        [ReasonCode.ReasonLastValidator] = _ => "cannot remove the last admitted validator",
        [ReasonCode.ReasonNoAction] = _ => "proposal has no action",
        [ReasonCode.ReasonAppAddressLength] = a => $"app must be a 20-byte address, got {a.N(0)} bytes",
        [ReasonCode.ReasonAppAlreadyRevoked] = a => $"app {a.Id(0)} is already revoked",
        [ReasonCode.ReasonAppAlreadyActive] = a => $"app {a.Id(0)} is already active",
        [ReasonCode.ReasonPublicKeyLength] = a => $"validator public key must be 64 bytes (uncompressed, no prefix), got {a.N(0)}",
        [ReasonCode.ReasonValidatorAlreadyAdmitted] = a => $"validator {a.Id(0)} is already admitted",
        [ReasonCode.ReasonAddressLength] = a => $"address must be 20 bytes, got {a.N(0)}",
        [ReasonCode.ReasonValidatorNotAdmitted] = a => $"validator {a.Id(0)} is not admitted",
        [ReasonCode.ReasonParameterNotGovernable] = a =>
            $"parameter '{ParameterName(a)}' is not governable (governable: {Validators.GovernableParameters.NameList})",
        [ReasonCode.ReasonParameterOutOfRange] = a => $"parameter '{ParameterName(a)}' must be in [{a.N(0)}, {a.N(1)}], got {a.N(2)}",

        [ReasonCode.ReasonProposalPassed] = _ => "passed",
        [ReasonCode.ReasonProposalExpiredWithoutQuorum] = a => $"expired at height {a.N(0)} without > 2/3 of the voting power",
        [ReasonCode.ReasonProposalRejected] = _ => "rejected: at least 1/3 of the voting power voted no",
        [ReasonCode.ReasonTaskCompleted] = a => $"completed: {a.N(0)} of {a.N(1)} contributions agreed",
        [ReasonCode.ReasonTaskFinalDeadlinePassed] = _ => "failed: final deadline passed without a revealed consensus",
        [ReasonCode.ReasonTaskCannotRun] = a => $"failed early: {a.N(0)} worker(s) reported the task cannot run ({MarketBlock.FailureName(a.Enum<ReplicaFailure>(2))}), {a.N(1)} contributed a result",
        [ReasonCode.ReasonTaskReversed] = a => $"reversed: {a.N(0)} verifier(s) agreed on another result",
        [ReasonCode.ReasonVerificationNoReveal] = _ => "no verifier revealed a result",
        [ReasonCode.ReasonVerifiersDisagree] = _ => "the verifiers disagree among themselves",
        [ReasonCode.ReasonUpheldPaidByBond] = a => $"upheld by {a.N(0)} verifier(s); the challenger's bond of {a.N(1)} nRLC paid them",
        [ReasonCode.ReasonUpheldPaidByKitty] = a => $"upheld by {a.N(0)} verifier(s), paid {a.N(1)} nRLC from the kitty",
        [ReasonCode.ReasonVerificationReversed] = a => $"reversed: {a.N(0)} nRLC of pending rewards and {a.N(1)} nRLC of stakes taken from the winners",
    }.ToFrozenDictionary();

    private static string ParameterName(Args a) => a.Body?.Propose?.ChangeParameter?.Name ?? "?";

    /// <summary>The chain keeps only the order's kind; the decoder says again what is wrong with the order the transaction carried.</summary>
    private static string InvalidOrder(Args a)
    {
        var kind = a.Enum<OrderKind>(0);
        string name = kind switch { OrderKind.App => "app", OrderKind.Dataset => "dataset", OrderKind.Workerpool => "workerpool", _ => "request" };
        var place = a.Body?.PlaceOrder;
        string? error = null;
        bool decoded = place?.OrderCase switch
        {
            PlaceOrder.OrderOneofCase.App => OrderCodec.TryDecode(place.App, out _, out error),
            PlaceOrder.OrderOneofCase.Dataset => OrderCodec.TryDecode(place.Dataset, out _, out error),
            PlaceOrder.OrderOneofCase.Workerpool => OrderCodec.TryDecode(place.Workerpool, out _, out error),
            PlaceOrder.OrderOneofCase.Request => OrderCodec.TryDecode(place.Request, out _, out error),
            _ => true,
        };
        return decoded || error is null ? $"{name} order is invalid" : $"{name} order: {error}";
    }
}
