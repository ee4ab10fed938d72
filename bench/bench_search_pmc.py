"""物管会 / 业委会 documents written from the manual (示范文本2 and 8), for as long as no
interview makes them. Built as Document models with the same Markdown dialect as templates/."""

from __future__ import annotations

from datetime import date, timedelta

from bench_search_names import Names, Place

from sanfang_docs.documents.model import Document, parse_body

PMC_REQUEST = """根据《湖北省物业管理条例》第二十条“符合下列条件之一的，街道办事处、乡镇人民政府应当组织召开物业区域内首次业主大会会议：（一）交付的房屋专有部分面积达到建筑物总面积百分之五十的；（二）交付的房屋套数达到总套数百分之五十的；（三）自首位业主入住之日起满两年且已入住户数比例达到百分之二十的。”等其他法律法规，{compound}小区目前交付{delivered}套，占总套数的{share}%，暂未达到成立业主委员会的条件。

按照《关于建立健全街道和社区党组织领导下的社区居委会、业主委员会和物业服务企业联动服务机制的实施意见（试行）》（武组文〔2013〕110号）“暂不具备成立业主委员会条件的物业管理区域，街道和社区党组织要积极指导社区居民委员会、开发建设单位、业主代表等，组成物业管理委员会，代行业主委员会的职责。”

为此，我居委会现申请成立{compound}小区物业管理委员会代行业主委员会职责。

{compound}小区物业管理委员会成员名单：

主任：社区居委会{chair}同志；委员：开发建设单位{developer}同志；业主代表{o1}同志、业主代表{o2}同志、业主代表{o3}同志。

妥否，请批示！"""

PMC_REPLY = """你们《关于申请成立{compound}小区物业管理委员会的申请》收悉，经研究：

同意{community_org}指导{community}居委会成立{compound}小区物业管理委员会，成员如下：

主任：社区居委会{chair}同志；委员：开发建设单位{developer}同志；业主代表{o1}同志、业主代表{o2}同志、业主代表{o3}同志。

此复"""

PLEDGE = """为切实履行{body}职责，在社区党组织领导下，由小区党组织牵头，接受全体业主监督，现就服务事项郑重承诺如下：

= 履职尽责承诺

1. 严格执行业主大会决议：每半年通过线上线下向全体业主汇报决议执行情况，未落实事项需公开说明原因及整改计划。

2. 透明公开公共事务：每月公示小区公共收益收支明细，每季度公开维修资金使用台账，接受业主随时查阅。

3. 限时响应业主诉求：设立24小时业主服务专线（电话：{phone}），常规问题48小时内答复，复杂问题7日内明确解决方案。

= 自身建设承诺

4. 定期述职接受监督：每年召开业主代表大会述职，现场接受质询，满意度低于60%的委员主动辞职，主动接受社区、小区党组织指导、监督、督办。

5. 配合{company}做好{compound}小区的安全隐患排查、环境整治和停车管理。

欢迎全体业主监督指正，共建和谐美好家园。"""


def pmc_documents(names: Names, place: Place, year: int, body: str | None = None) -> tuple[list[Document], list[str]]:
    """申请 + 批复 (物管会 only) and the owners' body pledge (物管会 or 业委会)."""
    rng = names.rng
    people = names.people(5)
    chair, developer, o1, o2, o3 = people
    body = body or rng.choice(["物业管理委员会", "物业管理委员会", "业主委员会"])
    d0 = date(year, 1, 1) + timedelta(days=rng.randint(0, 330))
    total = rng.randint(300, 3000)
    delivered = int(total * rng.uniform(0.15, 0.45))
    values = {"compound": place.compound, "community": place.community, "community_org": place.community_org,
              "chair": chair, "developer": developer, "o1": o1, "o2": o2, "o3": o3, "delivered": delivered,
              "share": round(100 * delivered / total), "body": body, "phone": names.phone(),
              "company": names.company()}
    docs = []
    if body == "物业管理委员会":
        docs.append(Document(
            key="pmc-founding-request", title=f"关于申请成立{place.compound}小区物业管理委员会的申请", kind="请示",
            addressee=f"{place.street}党工委", issuer=place.community_org, doc_date=d0.isoformat(),
            blocks=parse_body(PMC_REQUEST.format(**values)), issuer_role="community"))
        docs.append(Document(
            key="pmc-founding-reply", title=f"关于同意成立{place.compound}小区物业管理委员会的批复", kind="批复",
            addressee=place.community_org, issuer=f"{place.street}党工委",
            doc_date=(d0 + timedelta(days=rng.randint(5, 20))).isoformat(),
            blocks=parse_body(PMC_REPLY.format(**values)), issuer_role="street"))
    docs.append(Document(
        key="pledge-owners-body", title=f"{place.compound}小区{body}服务承诺", kind="承诺", style="pledge",
        issuer=f"{place.compound}小区{body}", doc_date=(d0 + timedelta(days=rng.randint(30, 90))).isoformat(),
        blocks=parse_body(PLEDGE.format(**values)), issuer_role="owners"))
    return docs, people
