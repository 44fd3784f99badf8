using System.Globalization;
using System.Text.Json;
using IExecChain.Core.Primitives;

namespace IExecChain.Core.Specs;

/// <summary>
/// Reads a chain spec and refuses anything doubtful: unknown fields, wrong types, out-of-range
/// numbers, duplicate addresses, keys that do not match their address. Every error names the
/// JSON path of the field and the reason, e.g. "$.parameters.blockIntervalMs: must be at least 10".
/// </summary>
public static class ChainSpecLoader
{
    public static ChainSpec LoadFile(string path)
    {
        if (!File.Exists(path)) throw new ChainSpecException($"chain spec file '{path}' does not exist");
        return Parse(File.ReadAllText(path));
    }

    public static ChainSpec Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new ChainSpecException($"chain spec is not valid JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (JsonText.FindUnreadable(root, "$") is { } bad) throw new ChainSpecException(JsonText.Problem(bad));
            var r = new Reader("$");
            r.ExpectObject(root, "$schema", "name", "chainId", "genesisTimeUnixMs", "parameters", "accounts", "validators");
            var spec = new ChainSpec
            {
                Name = r.String(root, "name", maxLength: 64),
                ChainId = r.UInt64(root, "chainId", min: 1),
                GenesisTimeUnixMs = r.UInt64(root, "genesisTimeUnixMs", min: 0),
                Parameters = ReadParameters(r.Child(root, "parameters", out var parameters), parameters),
                Accounts = ReadAccounts(r, root),
                Validators = ReadValidators(r, root),
            };
            if (spec.Validators.Count == 0) throw new ChainSpecException("$.validators: at least one validator is required");
            foreach (var v in spec.Validators)
                if (v.Stake < spec.Parameters.MinValidatorStake)
                    throw new ChainSpecException($"$.validators: validator {v.Address} stakes {v.Stake}, below minValidatorStake {spec.Parameters.MinValidatorStake}");
                else if (v.Stake < spec.Parameters.Consensus.PowerUnit)
                    throw new ChainSpecException($"$.validators: validator {v.Address} stakes {v.Stake}, below powerUnit {spec.Parameters.Consensus.PowerUnit}, so it would have no voting power");
            CheckSupply(spec);
            return spec;
        }
    }

    private static ChainParameters ReadParameters(Reader r, JsonElement p)
    {
        r.ExpectObject(p, "blockIntervalMs", "maxBlockTransactions", "maxBlockBytes", "maxTransactionBytes", "unbondingPeriodBlocks",
            "minValidatorStake", "minWorkerStake", "epochLength", "fees", "consensus", "checkpointInterval", "market", "bridge");
        var fees = r.Child(p, "fees", out var f);
        fees.ExpectObject(f, "transfer", "stake", "unstake", "governance", "anchorReceipt", "bridge", "registry", "order", "contribution");
        var defaults = new FeeSchedule { Transfer = 0, Stake = 0, Unstake = 0 };
        var parameters = new ChainParameters
        {
            BlockIntervalMs = (int)r.UInt64(p, "blockIntervalMs", min: 10, max: 60_000),
            MaxBlockTransactions = (int)r.UInt64(p, "maxBlockTransactions", min: 1, max: 1_000_000),
            MaxBlockBytes = (int)r.UInt64(p, "maxBlockBytes", min: 1024, max: 256 * 1024 * 1024),
            MaxTransactionBytes = (int)r.UInt64(p, "maxTransactionBytes", min: 128, max: 64 * 1024),
            UnbondingPeriodBlocks = r.UInt64(p, "unbondingPeriodBlocks", min: 1),
            MinValidatorStake = r.UInt64(p, "minValidatorStake", min: 0),
            MinWorkerStake = r.UInt64(p, "minWorkerStake", min: 0),
            EpochLength = r.UInt64(p, "epochLength", min: 1),
            Fees = new FeeSchedule
            {
                Transfer = fees.UInt64(f, "transfer", min: 0),
                Stake = fees.UInt64(f, "stake", min: 0),
                Unstake = fees.UInt64(f, "unstake", min: 0),
                Governance = fees.OptionalUInt64(f, "governance", defaults.Governance, min: 0),
                AnchorReceipt = fees.OptionalUInt64(f, "anchorReceipt", defaults.AnchorReceipt, min: 0),
                Bridge = fees.OptionalUInt64(f, "bridge", defaults.Bridge, min: 0),
                Registry = fees.OptionalUInt64(f, "registry", defaults.Registry, min: 0),
                Order = fees.OptionalUInt64(f, "order", defaults.Order, min: 0),
                Contribution = fees.OptionalUInt64(f, "contribution", defaults.Contribution, min: 0),
            },
            Consensus = p.TryGetProperty("consensus", out _) ? ReadConsensus(r.Child(p, "consensus", out var c), c) : new ConsensusParameters(),
            CheckpointInterval = r.OptionalUInt64(p, "checkpointInterval", ChainParameters.DefaultCheckpointInterval, min: 1, max: 1_000_000),
            Market = p.TryGetProperty("market", out _) ? ReadMarket(r.Child(p, "market", out var m), m) : new MarketParameters(),
            Bridge = p.TryGetProperty("bridge", out _) ? ReadBridge(r.Child(p, "bridge", out var b), b) : null,
        };
        // The set changes only at the first height of an epoch; when that is also the first height of a
        // checkpoint range, each checkpoint is signed by the set the previous one names, which is what
        // the anchor contract and a joining node's light client check (docs/consensus.md).
        if (parameters.EpochLength % parameters.CheckpointInterval != 0)
            throw new ChainSpecException($"{r.Path}.epochLength: {parameters.EpochLength} is not a multiple of checkpointInterval " +
                $"{parameters.CheckpointInterval}{(p.TryGetProperty("checkpointInterval", out _) ? "" : " (the default)")}: the validator set may change " +
                "only where a checkpoint range starts, so that each checkpoint is signed by the set the previous checkpoint names");
        return parameters;
    }

    private static BridgeParameters ReadBridge(Reader r, JsonElement b)
    {
        r.ExpectObject(b, "ethChainId", "contract", "confirmations", "maxDepositsAhead", "startBlock");
        var contract = r.Address(b, "contract");
        if (contract == Primitives.Address.Zero) throw new ChainSpecException($"{r.Path}.contract: the zero address cannot be the bridge contract");
        return new BridgeParameters
        {
            EthChainId = r.UInt64(b, "ethChainId", min: 1),
            Contract = contract,
            Confirmations = r.OptionalUInt64(b, "confirmations", BridgeParameters.DefaultConfirmations, min: 1, max: 10_000),
            MaxDepositsAhead = r.OptionalUInt64(b, "maxDepositsAhead", BridgeParameters.DefaultMaxDepositsAhead, min: 1, max: 100_000),
            StartBlock = r.OptionalUInt64(b, "startBlock", 0, min: 0),
        };
    }

    private static MarketParameters ReadMarket(Reader r, JsonElement m)
    {
        r.ExpectObject(m, "categories", "maxAssignmentsPerWorker", "maxTaskStartsPerBlock", "maxReplicasPerTask", "chunkSize", "requireAppApproval",
            "rollbackWindowBlocks", "challengeBond", "challengeRewardPercent", "spotCheckPpm", "verifiers", "spotCheckReward");
        var d = new MarketParameters();
        var categories = d.Categories;
        if (m.TryGetProperty("categories", out _))
        {
            var list = new List<TaskCategory>();
            int i = 0;
            foreach (var item in r.Array(m, "categories"))
            {
                var cr = new Reader($"{r.Path}.categories[{i++}]");
                cr.ExpectObject(item, "id", "name", "timeRefBlocks", "maxFuel", "maxMemoryMb");
                var category = new TaskCategory(cr.UInt64(item, "id", min: 0, max: 1_000_000), cr.String(item, "name", maxLength: 32),
                    cr.UInt64(item, "timeRefBlocks", min: 1, max: 1_000_000), cr.UInt64(item, "maxFuel", min: 1), cr.UInt64(item, "maxMemoryMb", min: 1, max: 4096));
                if (list.Exists(c => c.Id == category.Id)) throw new ChainSpecException($"{cr.Path}.id: category {category.Id} appears twice");
                list.Add(category);
            }
            if (list.Count == 0) throw new ChainSpecException($"{r.Path}.categories: at least one category is required");
            categories = list;
        }
        var market = new MarketParameters
        {
            Categories = categories,
            MaxAssignmentsPerWorker = (int)r.OptionalUInt64(m, "maxAssignmentsPerWorker", (ulong)d.MaxAssignmentsPerWorker, min: 1, max: 1024),
            MaxTaskStartsPerBlock = (int)r.OptionalUInt64(m, "maxTaskStartsPerBlock", (ulong)d.MaxTaskStartsPerBlock, min: 1, max: 100_000),
            MaxReplicasPerTask = (int)r.OptionalUInt64(m, "maxReplicasPerTask", (ulong)d.MaxReplicasPerTask, min: 1, max: 64),
            ChunkSize = (int)r.OptionalUInt64(m, "chunkSize", (ulong)d.ChunkSize, min: 4096, max: 1 << 20),
            RequireAppApproval = r.OptionalBool(m, "requireAppApproval", d.RequireAppApproval),
            RollbackWindowBlocks = r.OptionalUInt64(m, "rollbackWindowBlocks", d.RollbackWindowBlocks, min: 0, max: 100_000_000),
            ChallengeBond = r.OptionalUInt64(m, "challengeBond", d.ChallengeBond, min: 1),
            ChallengeRewardPercent = (uint)r.OptionalUInt64(m, "challengeRewardPercent", d.ChallengeRewardPercent, min: 0, max: 100),
            SpotCheckPpm = r.OptionalUInt64(m, "spotCheckPpm", d.SpotCheckPpm, min: 0, max: 1_000_000),
            Verifiers = (int)r.OptionalUInt64(m, "verifiers", (ulong)d.Verifiers, min: 1, max: 16),
            SpotCheckReward = r.OptionalUInt64(m, "spotCheckReward", d.SpotCheckReward, min: 0),
        };
        if (market.SpotCheckPpm > 0 && market.RollbackWindowBlocks == 0)
            throw new ChainSpecException($"{r.Path}.spotCheckPpm: spot-checks need a rollback window (rollbackWindowBlocks > 0)");
        return market;
    }

    private static ConsensusParameters ReadConsensus(Reader r, JsonElement c)
    {
        r.ExpectObject(c, "timeoutProposeMs", "timeoutPrevoteMs", "timeoutPrecommitMs", "timeoutFlatRounds", "timeoutGrowthPercent",
            "powerUnit", "reputationInitial", "reputationMin", "reputationMax", "reputationGainPerBlockSigned", "reputationLossPerBlockMissed",
            "slashEquivocationPercent", "jailBlocks", "evidenceMaxAgeBlocks", "governanceVotingPeriodBlocks");
        var d = new ConsensusParameters();
        var parameters = new ConsensusParameters
        {
            TimeoutProposeMs = (int)r.OptionalUInt64(c, "timeoutProposeMs", (ulong)d.TimeoutProposeMs, min: 10, max: 600_000),
            TimeoutPrevoteMs = (int)r.OptionalUInt64(c, "timeoutPrevoteMs", (ulong)d.TimeoutPrevoteMs, min: 10, max: 600_000),
            TimeoutPrecommitMs = (int)r.OptionalUInt64(c, "timeoutPrecommitMs", (ulong)d.TimeoutPrecommitMs, min: 10, max: 600_000),
            TimeoutFlatRounds = (int)r.OptionalUInt64(c, "timeoutFlatRounds", (ulong)d.TimeoutFlatRounds, min: 0, max: 1000),
            TimeoutGrowthPercent = (int)r.OptionalUInt64(c, "timeoutGrowthPercent", (ulong)d.TimeoutGrowthPercent, min: 0, max: 1000),
            PowerUnit = r.OptionalUInt64(c, "powerUnit", d.PowerUnit, min: 1),
            ReputationInitial = r.OptionalUInt64(c, "reputationInitial", d.ReputationInitial, min: 1, max: 1_000_000),
            ReputationMin = r.OptionalUInt64(c, "reputationMin", d.ReputationMin, min: 1, max: 1_000_000),
            ReputationMax = r.OptionalUInt64(c, "reputationMax", d.ReputationMax, min: 1, max: 1_000_000),
            ReputationGainPerBlockSigned = r.OptionalUInt64(c, "reputationGainPerBlockSigned", d.ReputationGainPerBlockSigned, min: 0, max: 1_000_000),
            ReputationLossPerBlockMissed = r.OptionalUInt64(c, "reputationLossPerBlockMissed", d.ReputationLossPerBlockMissed, min: 0, max: 1_000_000),
            SlashEquivocationPercent = (uint)r.OptionalUInt64(c, "slashEquivocationPercent", d.SlashEquivocationPercent, min: 0, max: 100),
            JailBlocks = r.OptionalUInt64(c, "jailBlocks", d.JailBlocks, min: 1),
            EvidenceMaxAgeBlocks = r.OptionalUInt64(c, "evidenceMaxAgeBlocks", d.EvidenceMaxAgeBlocks, min: 1),
            GovernanceVotingPeriodBlocks = r.OptionalUInt64(c, "governanceVotingPeriodBlocks", d.GovernanceVotingPeriodBlocks, min: 1),
        };
        if (parameters.ReputationMin > parameters.ReputationInitial || parameters.ReputationInitial > parameters.ReputationMax)
            throw new ChainSpecException($"{r.Path}: reputation must satisfy reputationMin <= reputationInitial <= reputationMax");
        return parameters;
    }

    private static List<GenesisAccount> ReadAccounts(Reader r, JsonElement root)
    {
        var list = new List<GenesisAccount>();
        var seen = new HashSet<Address>();
        int i = 0;
        foreach (var item in r.Array(root, "accounts"))
        {
            var ar = new Reader($"$.accounts[{i++}]");
            ar.ExpectObject(item, "address", "balance");
            var address = ar.Address(item, "address");
            if (!seen.Add(address)) throw new ChainSpecException($"{ar.Path}.address: {address} appears twice");
            list.Add(new GenesisAccount(address, ar.UInt64(item, "balance", min: 0)));
        }
        return list;
    }

    private static List<GenesisValidator> ReadValidators(Reader r, JsonElement root)
    {
        var list = new List<GenesisValidator>();
        var seen = new HashSet<Address>();
        int i = 0;
        foreach (var item in r.Array(root, "validators"))
        {
            var vr = new Reader($"$.validators[{i++}]");
            vr.ExpectObject(item, "address", "publicKey", "stake");
            var address = vr.Address(item, "address");
            var publicKey = vr.Bytes(item, "publicKey", 64);
            if (Primitives.Address.FromPublicKey(publicKey) != address)
                throw new ChainSpecException($"{vr.Path}.publicKey: does not belong to address {address}");
            if (!seen.Add(address)) throw new ChainSpecException($"{vr.Path}.address: {address} appears twice");
            list.Add(new GenesisValidator(address, publicKey, vr.UInt64(item, "stake", min: 1)));
        }
        list.Sort((a, b) => a.Address.CompareTo(b.Address));
        return list;
    }

    private static void CheckSupply(ChainSpec spec)
    {
        ulong total = 0;
        try
        {
            checked
            {
                foreach (var a in spec.Accounts) total += a.Balance;
                foreach (var v in spec.Validators) total += v.Stake;
            }
        }
        catch (OverflowException)
        {
            throw new ChainSpecException("$.accounts: total genesis supply overflows 64 bits of nRLC");
        }
    }

    private readonly struct Reader(string path)
    {
        public string Path { get; } = path;

        public void ExpectObject(JsonElement e, params string[] allowed)
        {
            if (e.ValueKind != JsonValueKind.Object) throw Error(Path, $"must be an object, got {Kind(e)}");
            foreach (var property in e.EnumerateObject())
                if (System.Array.IndexOf(allowed, property.Name) < 0)
                    throw Error($"{Path}.{property.Name}", "unknown field");
        }

        public Reader Child(JsonElement e, string name, out JsonElement child)
        {
            child = Required(e, name);
            if (child.ValueKind != JsonValueKind.Object) throw Error($"{Path}.{name}", $"must be an object, got {Kind(child)}");
            return new Reader($"{Path}.{name}");
        }

        public JsonElement.ArrayEnumerator Array(JsonElement e, string name)
        {
            var a = Required(e, name);
            if (a.ValueKind != JsonValueKind.Array) throw Error($"{Path}.{name}", $"must be an array, got {Kind(a)}");
            return a.EnumerateArray();
        }

        public string String(JsonElement e, string name, int maxLength)
        {
            var v = Required(e, name);
            if (v.ValueKind != JsonValueKind.String) throw Error($"{Path}.{name}", $"must be a string, got {Kind(v)}");
            var s = v.GetString()!;
            if (s.Length == 0 || s.Length > maxLength) throw Error($"{Path}.{name}", $"must be 1 to {maxLength} characters");
            return s;
        }

        /// <summary>A non-negative integer, as a JSON number or a decimal string (for values past 2^53).</summary>
        public ulong UInt64(JsonElement e, string name, ulong min, ulong max = ulong.MaxValue)
        {
            var v = Required(e, name);
            ulong value;
            if (v.ValueKind == JsonValueKind.Number)
            {
                if (!v.TryGetUInt64(out value)) throw Error($"{Path}.{name}", $"must be a non-negative integer, got {v.GetRawText()}");
            }
            else if (v.ValueKind == JsonValueKind.String)
            {
                if (!ulong.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out value))
                    throw Error($"{Path}.{name}", $"must be a non-negative integer, got \"{v.GetString()}\"");
            }
            else throw Error($"{Path}.{name}", $"must be a non-negative integer, got {Kind(v)}");
            if (value < min) throw Error($"{Path}.{name}", $"must be at least {min}, got {value}");
            if (value > max) throw Error($"{Path}.{name}", $"must be at most {max}, got {value}");
            return value;
        }

        public ulong OptionalUInt64(JsonElement e, string name, ulong fallback, ulong min, ulong max = ulong.MaxValue) =>
            e.TryGetProperty(name, out _) ? UInt64(e, name, min, max) : fallback;

        public bool OptionalBool(JsonElement e, string name, bool fallback)
        {
            if (!e.TryGetProperty(name, out var v)) return fallback;
            if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Error($"{Path}.{name}", $"must be true or false, got {Kind(v)}");
            return v.GetBoolean();
        }

        public Address Address(JsonElement e, string name)
        {
            var v = Required(e, name);
            if (v.ValueKind != JsonValueKind.String || !Primitives.Address.TryParse(v.GetString(), out var address, out var error))
                throw Error($"{Path}.{name}", $"must be a 20-byte hex address{(v.ValueKind == JsonValueKind.String ? "" : $", got {Kind(v)}")}");
            _ = error;
            return address;
        }

        public byte[] Bytes(JsonElement e, string name, int length)
        {
            var v = Required(e, name);
            if (v.ValueKind != JsonValueKind.String || !Hex.TryDecode(v.GetString(), out var bytes, out _) || bytes.Length != length)
                throw Error($"{Path}.{name}", $"must be {length} bytes of hex");
            return bytes;
        }

        private JsonElement Required(JsonElement e, string name)
        {
            if (!e.TryGetProperty(name, out var v)) throw Error($"{Path}.{name}", "is required");
            return v;
        }

        private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

        private static ChainSpecException Error(string path, string reason) => new($"{path}: {reason}");
    }
}
