using BenchmarkDotNet.Running;

namespace IExecChain.Benchmarks;

public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "profile") StateTreeProfile.Run(args);
        else if (args.Length > 0 && args[0] == "sabotage") Market.SabotageSimulation.Run(args);
        else if (args.Length > 0 && args[0] == "tail-profile") TailProfile.Run(args);
        else if (args.Length > 0 && args[0] == "seal-cpu") SessionSealCpuProfile.Run(args);
        else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
