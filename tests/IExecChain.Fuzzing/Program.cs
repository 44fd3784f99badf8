using IExecChain.Fuzzing;
using SharpFuzz;

// The fuzzing entry point (docs/security.md, "Fuzzing"):
//   run TARGET              one target under afl-fuzz (scripts/fuzz.sh instruments the assemblies first)
//   replay TARGET PATH...   every file (or every file in each folder) through the target, in this process
//   seeds DIR               writes the seed corpus of every target to DIR/TARGET/
//   list                    the targets and where their input comes from
if (args.Length == 0) return Usage();
switch (args[0])
{
    case "list":
        foreach (var t in FuzzTargets.All) Console.WriteLine($"{t.Name,-18} {t.Reaches}");
        return 0;
    case "seeds" when args.Length == 2:
        SeedCorpus.Write(args[1]);
        return 0;
    case "run" when args.Length == 2:
    {
        var target = FuzzTargets.Find(args[1]);
        if (target is null) return UnknownTarget(args[1]);
        var stalls = StallRecorder.FromEnvironment();
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            if (stalls is null) target.Run(buffer.ToArray());
            else stalls.Run(() => target.Run(buffer.ToArray()));
        });
        return 0;
    }
    case "replay" when args.Length >= 3:
    {
        var target = FuzzTargets.Find(args[1]);
        if (target is null) return UnknownTarget(args[1]);
        int failures = 0, inputs = 0;
        foreach (var file in args[2..].SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p]).Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(file) == "README.txt") continue;   // afl-fuzz's note in its crashes folder
            inputs++;
            try
            {
                target.Run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failures++;
                Console.WriteLine($"{file}: {e}");
            }
        }
        Console.WriteLine($"{target.Name}: {inputs} input(s), {failures} failure(s)");
        return failures == 0 ? 0 : 1;
    }
    default:
        return Usage();
}

static int Usage()
{
    Console.Error.WriteLine("usage: IExecChain.Fuzzing list | seeds DIR | run TARGET | replay TARGET PATH...");
    return 2;
}

static int UnknownTarget(string name)
{
    Console.Error.WriteLine($"unknown target '{name}'; targets: {FuzzTargets.Names}");
    return 2;
}
