namespace IExecChain.Storage.Tests;
