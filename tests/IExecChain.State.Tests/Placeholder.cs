namespace IExecChain.State.Tests;
