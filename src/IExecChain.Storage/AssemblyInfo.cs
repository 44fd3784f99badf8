namespace IExecChain.Storage;
