using System.Globalization;
using IExecChain.Core.Primitives;
using IExecChain.State.Market;

namespace IExecChain.Benchmarks.Market;

/// <summary>
/// Seeded simulation of PoCo's credibility voting against colluding saboteurs:
/// <c>dotnet run -c Release --project benchmarks/IExecChain.Benchmarks -- sabotage [--tasks N] [--workers W] [--seed S]</c>.
/// A fraction f of the workers are saboteurs; each of their replicas returns the one shared wrong
/// result with probability s (the worst case for voting: they collude). Replicas are added one at a
/// time, from workers drawn at random, until the tally reaches consensus for the trust level (or 64
/// replicas: the task fails). Scores follow PoCo (+1 for winners of replicated tasks, ×2/3 for
/// losers) and start at 0. Printed next to each measured error rate: the target 1/trust that the
/// consensus condition group/total &gt; 1 − 1/trust aims at, and Sarmenta's voting-only credibility of
/// each accepted result, 1 − Cr with Cr = (1−f)^a f^d / ((1−f)^a f^d + f^a (1−f)^d) for a agreeing
/// and d disagreeing votes ("Sabotage-tolerance mechanisms for volunteer computing systems", 2002),
/// averaged over tasks.
/// </summary>
public static class SabotageSimulation
{
    private const int MaxReplicas = 64;

    public static void Run(string[] args)
    {
        int tasks = Option(args, "--tasks", 20_000);
        int workers = Option(args, "--workers", 1_000);
        int seed = Option(args, "--seed", 1);
        Console.WriteLine($"sabotage simulation: {tasks} tasks per row, {workers} workers, seed {seed}, scores start at 0");
        Console.WriteLine();
        Console.WriteLine("| f | s | trust | wrong accepted | error rate | target 1/trust | Sarmenta voting-only (mean 1 − Cr) | replicas per task (mean / max) | failed tasks |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (double f in new[] { 0.1, 0.2, 0.3 })
        foreach (double s in new[] { 0.1, 0.5, 1.0 })
        foreach (ulong trust in new ulong[] { 5, 20, 100 })
        {
            var r = Simulate(f, s, trust, tasks, workers, seed);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {f:0.0} | {s:0.0} | {trust} | {r.Wrong} | {r.Wrong / (double)tasks:0.00000} | {1.0 / trust:0.000} | {r.SarmentaError / tasks:0.00000} | {r.Replicas / (double)tasks:0.00} / {r.MaxReplicas} | {r.Failed} |"));
        }
    }

    private readonly record struct Outcome(int Wrong, long Replicas, int MaxReplicas, int Failed, double SarmentaError);

    private static Outcome Simulate(double f, double s, ulong trust, int tasks, int workerCount, int seed)
    {
        var random = new Random(HashCode.Combine(seed, f, s, trust) & int.MaxValue);
        var scores = new ulong[workerCount];
        var saboteur = new bool[workerCount];
        int saboteurs = (int)Math.Round(f * workerCount);
        var order = Enumerable.Range(0, workerCount).OrderBy(_ => random.Next()).ToArray();
        for (int i = 0; i < saboteurs; i++) saboteur[order[i]] = true;

        var good = new Hash256(Enumerable.Repeat((byte)1, 32).ToArray());
        var bad = new Hash256(Enumerable.Repeat((byte)2, 32).ToArray());
        var chosen = new List<(int Worker, bool Bad)>(MaxReplicas);
        var used = new HashSet<int>();
        int wrong = 0, failed = 0, maxReplicas = 0;
        long replicas = 0;
        double sarmenta = 0;
        for (int t = 0; t < tasks; t++)
        {
            var tally = new ConsensusTally(trust);
            chosen.Clear();
            used.Clear();
            Hash256? consensus = null;
            while (chosen.Count < MaxReplicas && chosen.Count < workerCount)
            {
                int w;
                do w = random.Next(workerCount); while (!used.Add(w));
                bool lies = saboteur[w] && random.NextDouble() < s;
                chosen.Add((w, lies));
                if (tally.Contribute(lies ? bad : good, scores[w])) { consensus = lies ? bad : good; break; }
            }
            replicas += chosen.Count;
            maxReplicas = Math.Max(maxReplicas, chosen.Count);
            if (consensus is not { } result) { failed++; continue; }
            bool acceptedBad = result == bad;
            if (acceptedBad) wrong++;
            int agreeing = 0;
            foreach (var (_, lies) in chosen) if (lies == acceptedBad) agreeing++;
            sarmenta += 1 - SarmentaCredibility(f, agreeing, chosen.Count - agreeing);
            bool replicated = chosen.Count > 1;
            foreach (var (w, lies) in chosen)
            {
                if (lies == acceptedBad) { if (replicated) scores[w]++; }
                else scores[w] = scores[w] * 2 / 3;
            }
        }
        return new Outcome(wrong, replicas, maxReplicas, failed, sarmenta);
    }

    /// <summary>Sarmenta's credibility of a result group with <paramref name="agree"/> votes against <paramref name="disagree"/>, saboteurs colluding.</summary>
    private static double SarmentaCredibility(double f, int agree, int disagree)
    {
        double right = Math.Pow(1 - f, agree) * Math.Pow(f, disagree);
        double wrong = Math.Pow(f, agree) * Math.Pow(1 - f, disagree);
        return right / (right + wrong);
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
