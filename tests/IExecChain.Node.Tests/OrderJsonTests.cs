using System.Text.Json;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.Node.Cli;
using IExecChain.Rpc.Contracts;
using NUnit.Framework;

namespace IExecChain.Node.Tests;

/// <summary>Order files (`iexchain order place FILE`): iExec's names and this chain's, and every refusal naming its field.</summary>
public class OrderJsonTests
{
    private static readonly Address Sender = Address.Parse("0x1111111111111111111111111111111111111111");
    private const string App = "0x2222222222222222222222222222222222222222";
    private const string Pool = "0x3333333333333333333333333333333333333333";

    private static byte[] Bytes(string address) => Address.Parse(address).ToArray();

    /// <summary>A request order as iExec's SDK writes one (`iexec order init --request`, then filled in), sign and callback included.</summary>
    [Test]
    public void An_iexec_style_request_order_is_read_field_by_field()
    {
        var order = OrderJson.Parse($$$"""
            {"requestorder": {
              "app": "{{{App}}}", "appmaxprice": "1000", "dataset": "0x0000000000000000000000000000000000000000", "datasetmaxprice": "0",
              "workerpool": "{{{Pool}}}", "workerpoolmaxprice": "2.5RLC", "requester": "{{{Sender}}}", "volume": "3",
              "tag": "0x0000000000000000000000000000000000000000000000000000000000000003", "category": "1", "trust": "5",
              "beneficiary": "{{{Sender}}}", "callback": "0x0000000000000000000000000000000000000000", "params": "--depth 4",
              "salt": "0x0102", "sign": "0x"
            }}
            """, Sender);
        var r = order.Request;
        Assert.That(r, Is.Not.Null);
        Assert.That(r.App.ToByteArray(), Is.EqualTo(Bytes(App)));
        Assert.That(r.AppMaxPrice, Is.EqualTo(1000UL));
        Assert.That(r.Dataset.IsEmpty, Is.True, "the zero address is no dataset");
        Assert.That(r.Workerpool.ToByteArray(), Is.EqualTo(Bytes(Pool)));
        Assert.That(r.WorkerpoolMaxPrice, Is.EqualTo(2_500_000_000UL), "amounts may be written in RLC");
        Assert.That(r.Volume, Is.EqualTo(3UL));
        Assert.That(r.Tag, Is.EqualTo(3UL), "iExec's bytes32 tag: its low 64 bits");
        Assert.That(r.Category, Is.EqualTo(1UL));
        Assert.That(r.Trust, Is.EqualTo(5UL));
        Assert.That(r.Params, Is.EqualTo("--depth 4"));
        Assert.That(r.Salt.ToByteArray(), Is.EqualTo(new byte[] { 1, 2 }));
    }

    [TestCase("appmaxprice")]
    [TestCase("app_max_price")]
    [TestCase("appMaxPrice")]
    [TestCase("APP_MAX_PRICE")]
    public void Both_naming_styles_name_the_same_field(string name)
    {
        var order = OrderJson.Parse($$$"""{"requestorder": {"app": "{{{App}}}", "{{{name}}}": 77}}""", Sender);
        Assert.That(order.Request.AppMaxPrice, Is.EqualTo(77UL));
        Assert.That(order.Request.Requester.ToByteArray(), Is.EqualTo(Sender.ToArray()), "the requester defaults to the signer");
        Assert.That(order.Request.Salt.Length, Is.EqualTo(16), "a random salt keeps identical orders distinct");
    }

    [TestCase("apporder", "appprice")]
    [TestCase("datasetorder", "datasetprice")]
    [TestCase("workerpoolorder", "workerpoolprice")]
    [TestCase("apporder", "price")]
    [TestCase("workerpool_order", "workerpool_price")]
    public void A_sell_order_takes_its_price_under_iexec_name_or_this_chain_s(string kind, string priceName)
    {
        string idField = kind.Replace("_order", "").Replace("order", "");
        var order = OrderJson.Parse($$$"""{"{{{kind}}}": {"{{{idField}}}": "{{{App}}}", "{{{priceName}}}": "0.01RLC", "volume": 9}}""", Sender);
        ulong price = order.OrderCase switch
        {
            PlaceOrder.OrderOneofCase.App => order.App.Price,
            PlaceOrder.OrderOneofCase.Dataset => order.Dataset.Price,
            PlaceOrder.OrderOneofCase.Workerpool => order.Workerpool.Price,
            _ => throw new AssertionException($"unexpected {order.OrderCase}"),
        };
        Assert.That(price, Is.EqualTo(10_000_000UL));
    }

    [TestCase("""{"requestorder": {"apmaxprice": 1}}""", "requestorder.apmaxprice: unknown field; did you mean 'appmaxprice'?")]
    [TestCase("""{"apporder": {"apppric": 1}}""", "apporder.apppric: unknown field; did you mean 'appprice'?")]
    [TestCase("""{"workerpoolorder": {"catgory": 1}}""", "workerpoolorder.catgory: unknown field; did you mean 'category'?")]
    [TestCase("""{"requestorder": {"colour": "blue"}}""", "requestorder.colour: unknown field (known: app, appmaxprice")]
    [TestCase("""{"apporder": {"appprice": 1, "price": 2}}""", "apporder.price: price is given twice")]
    [TestCase("""{"requestorder": {"app": "0x12"}}""", "requestorder.app: must be a 20-byte hex address")]
    [TestCase("""{"requestorder": {"volume": -1}}""", "requestorder.volume: must be a non-negative integer or a string")]
    [TestCase("""{"requestorder": {"volume": "ten"}}""", "requestorder.volume: 'ten' is not a non-negative integer")]
    [TestCase("""{"requestorder": {"appmaxprice": "1.5XRLC"}}""", "requestorder.appmaxprice")]
    [TestCase("""{"requestorder": {"tag": "0x10000000000000000"}}""", "requestorder.tag: tag bits above 64 are not supported")]
    [TestCase("""{"requestorder": {"params": 3}}""", "requestorder.params: must be a string")]
    [TestCase("""{"requestorder": {}, "apporder": {}}""", "exactly one key")]
    [TestCase("""{"sellorder": {}}""", "unknown order kind 'sellorder'")]
    [TestCase("""[1]""", "must be a JSON object")]
    [TestCase("""{"requestorder": """, "not valid JSON")]
    public void A_wrong_order_file_is_refused_naming_the_field(string json, string message)
    {
        var e = Assert.Throws<CliException>(() => OrderJson.Parse(json, Sender))!;
        Assert.That(e.Message, Does.Contain(message));
    }

    [TestCase("\"18446744073.709551615RLC\"", ulong.MaxValue)]
    [TestCase("18446744073709551615", ulong.MaxValue)]
    [TestCase("\"18446744073709551615\"", ulong.MaxValue)]
    [TestCase("\"0.000000001RLC\"", 1UL)]
    [TestCase("\"1000nRLC\"", 1000UL)]
    [TestCase("0", 0UL)]
    public void A_price_reaches_the_64_bit_limit_in_either_unit(string json, ulong nano)
    {
        var order = OrderJson.Parse($$$"""{"requestorder": {"app": "{{{App}}}", "appmaxprice": {{{json}}}}}""", Sender);
        Assert.That(order.Request.AppMaxPrice, Is.EqualTo(nano));
    }

    // The price cases before the fix: "100000000000000000000RLC" threw OverflowException out of
    // decimal arithmetic, and "1.00000000000000000000000000001RLC" was rounded to 1 RLC by decimal.Parse.
    [TestCase("""{"requestorder": {"appmaxprice": "100000000000000000000RLC"}}""", "requestorder.appmaxprice: '100000000000000000000RLC' is above the largest amount")]
    [TestCase("""{"requestorder": {"appmaxprice": "18446744073.709551616RLC"}}""", "requestorder.appmaxprice: '18446744073.709551616RLC' is above the largest amount")]
    [TestCase("""{"requestorder": {"appmaxprice": 18446744073709551616}}""", "requestorder.appmaxprice: must be a non-negative integer or a string")]
    [TestCase("""{"requestorder": {"appmaxprice": "1.00000000000000000000000000001RLC"}}""", "requestorder.appmaxprice: '1.00000000000000000000000000001RLC' has more than 9 decimals")]
    [TestCase("""{"requestorder": {"appmaxprice": "0.0000000001RLC"}}""", "requestorder.appmaxprice: '0.0000000001RLC' has more than 9 decimals (1 nRLC = 0.000000001 RLC)")]
    [TestCase("""{"requestorder": {"appmaxprice": "-1"}}""", "requestorder.appmaxprice: '-1' is negative")]
    [TestCase("""{"requestorder": {"appmaxprice": -1}}""", "requestorder.appmaxprice: must be a non-negative integer or a string")]
    [TestCase("""{"requestorder": {"appmaxprice": 1.5}}""", "requestorder.appmaxprice: must be a non-negative integer or a string")]
    [TestCase("""{"requestorder": {"appmaxprice": "1.5"}}""", "requestorder.appmaxprice: '1.5' has a decimal point, but nRLC are whole")]
    [TestCase("""{"requestorder": {"appmaxprice": true}}""", "requestorder.appmaxprice: must be a non-negative integer or a string")]
    [TestCase("""{"requestorder": {"volume": "18446744073709551616"}}""", "requestorder.volume: '18446744073709551616' is not a non-negative integer")]
    [TestCase("""{"requestorder": {"volume": null}}""", "requestorder.volume: must be a non-negative integer or a string")]
    [TestCase("""{"requestorder": {"tag": "0x"}}""", "requestorder.tag: tag '0x' has no hex digits (no features is 0x0)")]
    [TestCase("""{"requestorder": {"tag": "0xZ1"}}""", "requestorder.tag: tag '0xZ1' is not 0x-hex")]
    [TestCase("""{"requestorder": {"weights": {"cost": 4294967296}}}""", "requestorder.weights.cost: 4294967296 is above 4294967295")]
    [TestCase("""{"requestorder": {"weights": 3}}""", "requestorder.weights: must be an object {cost, performance, reliability, trust, energy}")]
    [TestCase("""{"requestorder": {"weights": {"speed": 1}}}""", "requestorder.weights.speed: unknown field (known: cost, performance, reliability, trust, energy)")]
    [TestCase("""{"requestorder": {"attributes": ["eu"]}}""", "requestorder.attributes: must be an object of name: value")]
    [TestCase("""{"requestorder": {"attributes": {"ram": 1.5}}}""", "requestorder.attributes.ram: must be an integer, a boolean or a string")]
    [TestCase("""{"requestorder": {"attributes": {"zone": null}}}""", "requestorder.attributes.zone: must be an integer, a boolean or a string")]
    [TestCase("""{"requestorder": {"app": 5}}""", "requestorder.app: must be a 20-byte hex address, got number")]
    [TestCase("""{"requestorder": {"app": "0xZZ22222222222222222222222222222222222222"}}""", "requestorder.app: must be a 20-byte hex address (")]
    [TestCase("""{"requestorder": {"app": "0x222222222222222222222222222222222222222222"}}""", "requestorder.app: must be a 20-byte hex address (an address is 20 bytes, got 21)")]
    [TestCase("""{"apporder": {"datasetrestrict": ["0x12"]}}""", "apporder.datasetrestrict: must be a 20-byte hex address (an address is 20 bytes, got 1)")]
    [TestCase("""{"apporder": {"datasetrestrict": [7]}}""", "apporder.datasetrestrict: must be a 20-byte hex address, got number")]
    [TestCase("""{"requestorder": {"salt": 5}}""", "requestorder.salt: must be a hex string")]
    [TestCase("""{"requestorder": {"salt": "0xzz"}}""", "requestorder.salt: ")]
    [TestCase("""{"requestorder": {"callback": 5}}""", "requestorder.callback: unknown field")]
    [TestCase("""{"apporder": []}""", "apporder must be an object")]
    [TestCase("""{"requestorder": {"params": "\ud800"}}""", "order file: $.requestorder.params: not valid Unicode text")]
    [TestCase("""{}""", "order file must have exactly one key: apporder, datasetorder, workerpoolorder or requestorder")]
    [TestCase("""null""", "order file must be a JSON object")]
    [TestCase("", "order file is not valid JSON: ")]
    public void A_value_of_the_wrong_type_or_range_is_refused_naming_the_field(string json, string message)
    {
        var e = Assert.Throws<CliException>(() => OrderJson.Parse(json, Sender))!;
        Assert.That(e.Message, Does.StartWith(message));
    }

    [TestCase("\"0x0\"", 0UL)]
    [TestCase("\"0xffffffffffffffff\"", ulong.MaxValue)]
    [TestCase("\"0x00000000000000000000000000000000000000000000000000000000000000ff\"", 255UL)]
    [TestCase("\"0X1F\"", 31UL)]
    [TestCase("\"7\"", 7UL)]
    [TestCase("7", 7UL)]
    public void A_tag_is_a_number_or_iexec_hex_of_up_to_64_bits(string json, ulong tag)
    {
        var order = OrderJson.Parse($$$"""{"apporder": {"app": "{{{App}}}", "tag": {{{json}}}}}""", Sender);
        Assert.That(order.App.Tag, Is.EqualTo(tag));
    }

    [Test]
    public void Restrictions_take_one_address_or_a_list_and_the_zero_address_means_anyone()
    {
        var one = OrderJson.Parse($$$"""{"apporder": {"app": "{{{App}}}", "workerpoolrestrict": "{{{Pool}}}"}}""", Sender).App;
        Assert.That(one.WorkerpoolRestrict.Select(b => b.ToByteArray()), Is.EqualTo(new[] { Bytes(Pool) }));
        var list = OrderJson.Parse($$$"""{"apporder": {"app": "{{{App}}}", "workerpoolrestrict": ["{{{Pool}}}", "{{{App}}}"]}}""", Sender).App;
        Assert.That(list.WorkerpoolRestrict, Has.Count.EqualTo(2));
        var anyone = OrderJson.Parse($$$"""{"apporder": {"app": "{{{App}}}", "workerpoolrestrict": "0x0000000000000000000000000000000000000000"}}""", Sender).App;
        Assert.That(anyone.WorkerpoolRestrict, Is.Empty);
    }

    [Test]
    public void A_requester_given_in_the_file_is_kept()
    {
        var order = OrderJson.Parse($$$"""{"requestorder": {"app": "{{{App}}}", "requester": "{{{Pool}}}"}}""", Sender);
        Assert.That(order.Request.Requester.ToByteArray(), Is.EqualTo(Bytes(Pool)), "not replaced by the signer");
    }

    [Test]
    public void A_far_misspelling_gets_the_list_without_a_guess()
    {
        var e = Assert.Throws<CliException>(() => OrderJson.Parse("""{"requestorder": {"maximumprice": 1}}""", Sender))!;
        Assert.That(e.Message, Does.Not.Contain("did you mean"));
        Assert.That(e.Message, Does.Contain("known: app, appmaxprice, dataset, datasetmaxprice, workerpool, workerpoolmaxprice"));
    }

    [TestCase("request", PlaceOrder.OrderOneofCase.Request)]
    [TestCase("app", PlaceOrder.OrderOneofCase.App)]
    [TestCase("workerpool", PlaceOrder.OrderOneofCase.Workerpool)]
    [TestCase("dataset", PlaceOrder.OrderOneofCase.Dataset)]
    public void Each_template_is_a_valid_order_file_of_its_kind(string kind, PlaceOrder.OrderOneofCase expected)
    {
        var text = OrderTemplates.For(kind);
        Assert.That(text, Does.StartWith("// "), "it explains itself");
        var order = OrderJson.Parse(text, Sender);
        Assert.That(order.OrderCase, Is.EqualTo(expected));
        // Every field of the kind's message is shown in the template (salt and requester are explained in a comment).
        var fields = order.OrderCase switch
        {
            PlaceOrder.OrderOneofCase.Request => RequestOrder.Descriptor.Fields.InDeclarationOrder(),
            PlaceOrder.OrderOneofCase.App => AppOrder.Descriptor.Fields.InDeclarationOrder(),
            PlaceOrder.OrderOneofCase.Workerpool => WorkerpoolOrder.Descriptor.Fields.InDeclarationOrder(),
            _ => DatasetOrder.Descriptor.Fields.InDeclarationOrder(),
        };
        string flat = text.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
        foreach (var field in fields)
        {
            string name = field.Name.Replace("_", "", StringComparison.Ordinal);
            if (name == "price") name = kind + "price";
            Assert.That(flat, Does.Contain($"\"{name}\""), $"template {kind} lacks {field.Name}");
        }
    }

    [Test]
    public void The_request_template_s_amounts_are_what_its_comments_say()
    {
        var r = OrderJson.Parse(OrderTemplates.For("request"), Sender).Request;
        Assert.That(r.AppMaxPrice, Is.EqualTo(1_000_000UL));
        Assert.That(r.WorkerpoolMaxPrice, Is.EqualTo(10_000_000UL));
        Assert.That(r.Weights.Cost, Is.EqualTo(1_000_000U));
        Assert.That(Assert.Throws<CliException>(() => OrderTemplates.For("sell"))!.Message, Does.Contain("'sell' is not an order kind"));
    }

    [Test]
    public void The_category_table_shows_each_deadline_in_blocks_and_seconds()
    {
        // iex_getCategories' answer for the default categories at 200 ms blocks.
        var answer = JsonSerializer.Deserialize<List<CategoryResult>>("""
            [{"id":"0x1","name":"S","timeRefBlocks":"0x64","timeRefSeconds":20,"maxFuel":"0x2540be400","maxMemoryMb":"0x100",
              "replicaDeadlineBlocks":"0xc8","contributionDeadlineBlocks":"0x2bc","revealDeadlineBlocks":"0xc8","finalDeadlineBlocks":"0x3e8",
              "replicaDeadlineSeconds":40,"finalDeadlineSeconds":200}]
            """, RpcJson.Exact)!;
        var lines = ChainCommands.Table(answer).Split('\n');
        Assert.That(lines[0], Does.StartWith("id  name  max fuel"));
        Assert.That(lines[1], Does.StartWith("1   S     10,000,000,000  256 MiB"));
        Assert.That(lines[1], Does.Contain("200 blocks (40 s)").And.Contain("700 blocks (140 s)").And.Contain("1000 blocks (200 s)"));
    }
}
