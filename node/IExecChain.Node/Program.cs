namespace IExecChain.Node;

public static class Program
{
    public static int Main() => 0;
}
