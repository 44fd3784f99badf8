namespace IExecChain.Rpc.Tests;
