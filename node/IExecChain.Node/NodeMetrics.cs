using System.Globalization;
using System.Text;
using IExecChain.Network;

namespace IExecChain.Node;

/// <summary>The node's metrics in the Prometheus text exposition format (version 0.0.4), served at /metrics.</summary>
internal static class NodeMetrics
{
    public static string Render(ChainNode node)
    {
        var c = node.Consensus.Metrics;
        var n = node.Network.Metrics;
        var text = new StringBuilder(4096);
        Gauge(text, "iexec_height", "Height the consensus engine is deciding (head + 1).", c.Height);
        Gauge(text, "iexec_head_height", "Height of the last committed block.", (long)node.Processor.Head.Height);
        Gauge(text, "iexec_round", "Round of the current height.", c.Round);
        Gauge(text, "iexec_rounds_last_height", "Rounds the last committed height needed (1 = first round).", c.LastHeightRounds);
        Counter(text, "iexec_rounds_total", "Rounds used by all committed heights.", c.RoundsTotal);
        // Base units, as Prometheus asks (promtool refuses abbreviated units such as _ms in a name).
        Gauge(text, "iexec_block_interval_seconds", "Time between the last two committed blocks.", c.BlockIntervalMs / 1000.0);
        Gauge(text, "iexec_block_transactions", "Transactions in the last committed block.", c.LastBlockTransactions);
        Counter(text, "iexec_committed_blocks_total", "Blocks committed by this node.", c.CommittedBlocks);
        Counter(text, "iexec_committed_transactions_total", "Transactions in blocks committed by this node.", c.CommittedTransactions);
        Counter(text, "iexec_synced_blocks_total", "Blocks committed through block sync.", c.SyncedBlocks);
        Gauge(text, "iexec_lowest_block", "Lowest block above genesis this node holds (1 when it keeps every block).", (long)node.Processor.Blocks.LowestHeight);
        Counter(text, "iexec_blocks_pruned_total", "Blocks deleted below the retention window since the node started.", (long)node.Pruner.Pruned);
        Counter(text, "iexec_snapshots_taken_total", "State snapshots written since the node started.", node.Snapshots.Taken);
        Counter(text, "iexec_consensus_rejected_messages_total", "Consensus messages rejected (malformed, bad signature, not a validator, inbox full).", c.RejectedMessages);
        Counter(text, "iexec_equivocations_seen_total", "Proven equivocations detected (two signed votes of one validator for one height, round and type).", c.EquivocationsSeen);
        Counter(text, "iexec_signature_recoveries_total", "Transaction signatures recovered (each transaction should cost one per node).", node.Verifier.Recoveries);
        Gauge(text, "iexec_mempool_transactions", "Pending transactions.", node.Mempool.Count);
        Gauge(text, "iexec_mempool_bytes", "Bytes of pending transactions.", node.Mempool.Bytes);
        Gauge(text, "iexec_admission_budget", "Pending transactions admitted from submissions: capacity × target wait, at least the minimum.", node.Admission.Budget);
        Gauge(text, "iexec_admission_capacity_tps", "Committed transactions per second the chain has shown (decaying once the load falls).", (long)node.Admission.Capacity);
        Counter(text, "iexec_admission_refused_total", "Submissions refused because the pool was over its admission budget.", node.Admission.RefusedBusy);
        Counter(text, "iexec_admission_sender_refused_total", "Submissions refused because their sender held its share of a busy pool.", node.Admission.RefusedSender);
        Counter(text, "iexec_tx_gossip_dropped_batches_total", "Transaction batches from peers dropped because the inbound queue was full.", node.Gossip.Dropped);
        Counter(text, "iexec_tx_rebroadcast_total", "Local transactions sent again because they were still pending.", node.Gossip.Rebroadcast);

        // The market as committed (one state read).
        var market = State.Market.MarketReader.Totals(node.Processor.Tree);
        Counter(text, "iexec_market_deals_total", "Deals made by matching.", (long)market.Deals);
        Counter(text, "iexec_market_tasks_started_total", "Tasks started (initialized with replicas).", (long)market.TasksStarted);
        Counter(text, "iexec_market_tasks_completed_total", "Tasks completed with a revealed consensus.", (long)market.TasksCompleted);
        Counter(text, "iexec_market_tasks_failed_total", "Tasks failed (final deadline passed, or reported unrunnable by their workers) or expired before starting.", (long)market.TasksFailed);
        Counter(text, "iexec_market_spot_checks_total", "Completed tasks drawn for a spot-check.", (long)market.SpotChecks);
        Counter(text, "iexec_market_challenges_total", "Challenges accepted (bond locked).", (long)market.Challenges);
        Counter(text, "iexec_market_reversals_total", "Task results reversed by a verification.", (long)market.Reversals);
        Gauge(text, "iexec_market_kitty_nrlc", "Seized funds held by the market (nRLC).", (long)Math.Min(market.Kitty, long.MaxValue));
        Gauge(text, "iexec_market_tasks_awaiting_workers", "Started tasks waiting for a free worker.", market.TasksAwaitingWorkers.Count);
        Gauge(text, "iexec_market_deals_waiting_to_start", "Deals with tasks not started yet.", market.DealsToStart.Count);
        Gauge(text, "iexec_market_open_orders", "Orders in the book.", node.Processor.Market.Book.Count);

        // The bridge as committed, and this validator's following of Ethereum.
        var bridge = node.Processor.ReadAtHead((_, tree) => State.Bridge.BridgeLedger.Totals(tree));
        Gauge(text, "iexec_bridge_supply_nrlc", "RLC on the sidechain that is locked on Ethereum (credited deposits minus withdrawals).", (long)Math.Min(bridge.BridgedSupply, long.MaxValue));
        Counter(text, "iexec_bridge_deposits_credited_total", "Deposits credited.", (long)bridge.NextDepositId);
        Counter(text, "iexec_bridge_withdrawals_total", "Withdrawals recorded.", (long)bridge.NextWithdrawalId);
        if (node.Bridge is { } follower)
        {
            Gauge(text, "iexec_bridge_eth_head", "Ethereum head at the follower's last look.", (long)follower.EthereumHead);
            Gauge(text, "iexec_bridge_eth_lag_blocks", "Ethereum blocks above the last one the follower read (the confirmation depth when keeping up).", (long)follower.Lag);
            Counter(text, "iexec_bridge_attestations_sent_total", "AttestDeposits transactions this validator sent.", follower.AttestationsSent);
            Counter(text, "iexec_bridge_deposits_attested_total", "Deposits in those transactions.", follower.DepositsAttested);
            Counter(text, "iexec_bridge_follow_failures_total", "Rounds of following that failed (endpoint down, wrong chain, refused attestation).", follower.Failures);
            Counter(text, "iexec_bridge_log_conflicts_total", "Deposit ids the endpoint logged twice with different contents.", follower.Conflicts);
            Counter(text, "iexec_bridge_log_rereads_total", "Times the logs were read again because the contract had a deposit they had not shown.", follower.Rereads);
        }

        var (validators, observers) = n.PeerCounts;
        Header(text, "iexec_peers", "Authenticated peers by class.", "gauge");
        text.Append("iexec_peers{class=\"validator\"} ").Append(validators).Append('\n');
        text.Append("iexec_peers{class=\"observer\"} ").Append(observers).Append('\n');
        Header(text, "iexec_p2p_messages_received_total", "Application messages received, by channel.", "counter");
        foreach (var channel in Enum.GetValues<Channel>())
            text.Append("iexec_p2p_messages_received_total{channel=\"").Append(channel.ToString().ToLowerInvariant()).Append("\"} ").Append(n.MessagesIn(channel)).Append('\n');
        Header(text, "iexec_p2p_dropped_total", "Messages dropped by the transport, by reason.", "counter");
        foreach (var reason in Enum.GetValues<DropReason>())
            text.Append("iexec_p2p_dropped_total{reason=\"").Append(reason.ToString().ToLowerInvariant()).Append("\"} ").Append(n.Drops(reason)).Append('\n');
        Counter(text, "iexec_p2p_transport_inconsistencies_total", "Stray connections put back into LiteNetLib's endpoint set, and endpoints it listed twice.", n.TransportInconsistencies);

        var finality = c.Finality;
        Header(text, "iexec_finality_seconds", "Time from submission to this node until commit of its transactions.", "histogram");
        var cumulative = finality.Cumulative();
        for (int i = 0; i < finality.Bounds.Count; i++)
            text.Append("iexec_finality_seconds_bucket{le=\"").Append(finality.Bounds[i].ToString(CultureInfo.InvariantCulture)).Append("\"} ").Append(cumulative[i]).Append('\n');
        text.Append("iexec_finality_seconds_bucket{le=\"+Inf\"} ").Append(cumulative[^1]).Append('\n');
        text.Append("iexec_finality_seconds_sum ").Append(finality.Sum.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("iexec_finality_seconds_count ").Append(finality.Count).Append('\n');
        return text.ToString();
    }

    private static void Header(StringBuilder text, string name, string help, string type) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Gauge(StringBuilder text, string name, string help, long value)
    {
        Header(text, name, help, "gauge");
        text.Append(name).Append(' ').Append(value).Append('\n');
    }

    private static void Gauge(StringBuilder text, string name, string help, double value)
    {
        Header(text, name, help, "gauge");
        text.Append(name).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    private static void Counter(StringBuilder text, string name, string help, long value)
    {
        Header(text, name, help, "counter");
        text.Append(name).Append(' ').Append(value).Append('\n');
    }
}
