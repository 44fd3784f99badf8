namespace IExecChain.Node.Cli;

/// <summary>
/// Starting points for `order place`: one commented order file per kind (comments are allowed in
/// order files). Every field is shown with what it means; each template parses as it is (zero
/// addresses are placeholders the chain refuses where an address is required). docs/orders.md has
/// the same fields in tables.
/// </summary>
public static class OrderTemplates
{
    public static readonly IReadOnlyList<string> Kinds = ["request", "app", "workerpool", "dataset"];

    public static string For(string kind) => kind switch
    {
        "request" => Request,
        "app" => App,
        "workerpool" => Workerpool,
        "dataset" => Dataset,
        _ => throw new CliException($"kind: '{kind}' is not an order kind ({string.Join(", ", Kinds)})"),
    };

    private const string Request = """
        // A request order: what a requester buys. Place it with `iexchain order place FILE --key requester.json`.
        // Names: iExec's (appmaxprice) or this chain's (app_max_price, appMaxPrice). Amounts: nRLC, or "2.5RLC".
        {
          "requestorder": {
            "app": "0x0000000000000000000000000000000000000000",        // the app to run (`iexchain app show ID`)
            "appmaxprice": "0.001RLC",                                  // the most you pay the app owner per task
            "dataset": "0x0000000000000000000000000000000000000000",    // a dataset the app reads, or the zero address for none
            "datasetmaxprice": 0,                                       // the most you pay the dataset owner per task
            "workerpool": "0x0000000000000000000000000000000000000000", // one pool only, or the zero address for any pool
            "workerpoolmaxprice": "0.01RLC",                            // the most you pay the pool per task
            "volume": 1,                                                // tasks: each runs the app once with these params
            "category": 0,                                              // 0 XS, 1 S, 2 M: fuel, memory and deadlines (`iexchain chain categories`)
            "trust": 1,                                                 // confidence: 1 = one contribution suffices, higher = more replicas must agree (and cost)
            "params": "",                                               // the app's arguments
            "tag": "0x0",                                               // required pool features, a bit mask (iExec bytes32: the low 64 bits)
            "beneficiary": "0x0000000000000000000000000000000000000000", // who may fetch the result; zero: the requester
            "requirements": "",                                         // an expression over pool capabilities, e.g. "cpu.cores >= 4" (empty: any)
            "weights": { "cost": 1000000, "performance": 0, "reliability": 0, "trust": 0, "energy": 0 }, // how pools are ranked (0..1,000,000)
            "attributes": {}                                            // facts about the request a pool's requirements may test: {"region": "eu"}
            // "requester" defaults to the signing key; "salt" to 16 random bytes (identical orders stay distinct)
          }
        }
        """;

    private const string App = """
        // An app order: an app owner's terms for running its app. `iexchain order place FILE --key owner.json`.
        {
          "apporder": {
            "app": "0x0000000000000000000000000000000000000000",   // your app (`iexchain app register` printed its id)
            "appprice": "0.001RLC",                                 // nRLC per task, or "0.001RLC"
            "volume": 1000,                                         // tasks this order may serve
            "tag": "0x0",                                           // features a pool must offer to run it
            "datasetrestrict": [],                                  // only with these datasets (empty: any)
            "workerpoolrestrict": [],                               // only on these pools (empty: any)
            "requesterrestrict": []                                 // only for these requesters (empty: anyone)
            // "salt" defaults to 16 random bytes (identical orders stay distinct)
          }
        }
        """;

    private const string Workerpool = """
        // A workerpool order: what a pool sells. `iexchain order place FILE --key pool-owner.json`.
        {
          "workerpoolorder": {
            "workerpool": "0x0000000000000000000000000000000000000000", // your pool (`iexchain pool register` printed its id)
            "workerpoolprice": "0.01RLC",                                // nRLC per task, or "0.01RLC"
            "volume": 1000,                                              // tasks this order may serve
            "category": 0,                                               // the category it serves (`iexchain chain categories`)
            "trust": 1000,                                               // the highest trust it accepts
            "tag": "0x0",                                                // features the pool offers
            "apprestrict": [],                                           // only these apps (empty: any)
            "datasetrestrict": [],                                       // only these datasets (empty: any)
            "requesterrestrict": [],                                     // only these requesters (empty: anyone)
            "capabilities": { "cpu.cores": 4, "memory.mb": 8192 },       // declared facts a request's requirements test
            "requirements": "",                                          // what the pool asks of a request's attributes (empty: anything)
            "performance": 500000,                                       // declared performance index, 0..1,000,000
            "energyefficiency": 500000                                   // declared efficiency index, 0..1,000,000
            // "salt" defaults to 16 random bytes (identical orders stay distinct)
          }
        }
        """;

    private const string Dataset = """
        // A dataset order: a dataset owner's terms for its use. `iexchain order place FILE --key owner.json`.
        {
          "datasetorder": {
            "dataset": "0x0000000000000000000000000000000000000000", // your dataset (`iexchain dataset register` printed its id)
            "datasetprice": "0.0005RLC",                              // nRLC per task, or "0.0005RLC"
            "volume": 1000,                                           // tasks this order may serve
            "tag": "0x0",                                             // features a pool must offer to use it
            "apprestrict": [],                                        // only with these apps (empty: any)
            "workerpoolrestrict": [],                                 // only on these pools (empty: any)
            "requesterrestrict": []                                   // only for these requesters (empty: anyone)
            // "salt" defaults to 16 random bytes (identical orders stay distinct)
          }
        }
        """;
}
