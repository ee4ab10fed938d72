"""Places and people of Jiangxia (Wuhan) for generated archives: streets, communities,
compounds, organisations and names, drawn from a seeded RNG so every run is the same."""

from __future__ import annotations

import random
from dataclasses import dataclass

STREETS = ["纸坊街道", "郑店街道", "五里界街道", "金口街道", "乌龙泉街道", "山坡街道", "安山街道",
           "法泗街道", "湖泗街道", "舒安街道", "庙山开发区", "藏龙岛开发区"]
COMMUNITY_WORDS = (
    "文化路 锦绣 熊廷弼 兴新街 复江道 东湖 阳光 书香 凤凰 龙泉 大屋陈 谭鑫培 江夏大道 中央大道 纸坊大街 "
    "青龙山 八分山 梁子湖 汤逊湖 金水 幸福 和平 建设 民主 新华 光明 团结 友谊 胜利 东方 明珠 滨湖 江城 "
    "楚天 长江 紫阳 桃园 桂园 梅园 竹园 兰亭 丽水 碧水 清江 翠湖 银河 星光 朝阳 晨曦 南湖 北港 西山 "
    "大花岭 黄家湖 牛山湖 上伍 下伍 杨湖 金港 花山 栗庙 宝山 红旗 育才 文昌 新港 童周岭 三角湖"
).split()
COMPOUND_PREFIXES = (
    "保利 万科 碧桂园 金地 中建 联投 美的 融创 龙湖 绿地 招商 华润 当代 福星 新城 卓尔 复地 葛洲坝 "
    "城建 东原 光谷 金科 中海 越秀 世茂 旭辉 远洋 首创 建发 梁湖 汤湖 纸坊 庙山 金口 青龙 八分山 "
    "山湖 湖光 锦江 丽岛 凤凰 盘龙 清江 名流 御府 东方 南山 长江 楚天"
).split()
COMPOUND_SUFFIXES = (
    "花山郡 御景 城 花园 华府 壹号院 山水郡 天悦 紫郡 星城 公馆 学府 湖畔 名苑 锦城 翡翠湾 金域华府 "
    "云著 观澜 水岸 新都 嘉园 家园 雅苑 时代 国际 玖里 香颂 桃花源 半岛 一品 珑府 澜岸 熙岸 悦府 "
    "璟园 春天 湖居 林语 丽都 尚城 世家 里 铂悦 东郡"
).split()
SURNAMES = ("王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 "
            "肖 田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 "
            "韦 付 方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴").split()
GIVEN = ("建国 秀兰 卫东 玉梅 丽 刚 红霞 明 志强 静 洋 芳 敏 勇 军 杰 娟 涛 磊 艳 超 霞 平 辉 鹏 华 飞 鑫 "
         "波 斌 宇 浩 凯 婷 雪 琳 晶 欢 倩 丹 燕 亮 健 俊 帆 文 斌斌 国强 建华 建军 志刚 海燕 桂英 秀英 "
         "淑珍 德华 春梅 晓东 晓红 红梅 金凤 雪梅 宏伟 永红 立新 爱华 玉兰 桂兰 凤英 明华 忠诚 光辉 "
         "胜利 学军 振华 海涛 文斌 小龙 子轩 梓涵 一鸣 思远 雨欣 佳怡 浩然 俊杰 嘉豪 欣怡").split()
PROPERTY_COMPANIES = ("武汉联投物业 保利物业 万科物业 碧桂园服务 中建物业 武汉城投物业 金地物业 美的物业 "
                      "江夏城建物业 卓尔物业 福星惠誉物业 楚天物业 长江物业 荆楚物业").split()

# A second district the search was never tuned on (tests/test_search.py's "unseen" archive):
# developers' brands and estate names of the kind sold around Wuhan since 2015, other
# community names. Labelled queries reach it only through templates ({小区}, {小区后半} …).
UNSEEN_STREETS = ["金口街道", "安山街道", "湖泗街道"]
UNSEEN_COMMUNITY_WORDS = "白云 青松 红枫 金桂 银杏 芙蓉 海棠 紫荆 翠竹 松涛 鹤鸣 云溪".split()
UNSEEN_PREFIXES = ("恒大 碧桂园 华润置地 融侨 阳光城 中梁 金辉 正荣 蓝光 荣盛 奥园 雅居乐 富力 "
                   "合景 滨江 绿城 建业 佳兆业 禹洲 德信").split()
UNSEEN_SUFFIXES = ("名都 天玺湾 润府 紫都 御璟湾 锦樾 云溪台 翰林府 瑞府 溪岸 星河湾 书香门第 翡丽 "
                   "悦澜府 澜庭 君悦 铂樾 山语 棠樾 江山樾 华庭 金港湾 玖珑 时代城").split()
BRANDS = sorted(set(COMPOUND_PREFIXES) | set(UNSEEN_PREFIXES), key=len, reverse=True)


def name_parts(compound: str) -> tuple[str, str] | None:
    """(brand, estate) of a generated compound name (碧桂园天玺湾 → 碧桂园, 天玺湾), or None."""
    for brand in BRANDS:
        if compound.startswith(brand) and len(compound) - len(brand) >= 2:
            return brand, compound[len(brand):]
    return None


# Names the labelled queries rely on (examples/): never drawn at random, so each stays one place.
ANCHORS = {"江南花山郡", "藏龙御景", "文化路社区", "锦绣社区"}


@dataclass(frozen=True)
class Place:
    street: str
    community: str
    compound: str

    @property
    def street_org(self) -> str:
        return f"中共{self.street}工作委员会"

    @property
    def community_org(self) -> str:
        return f"中共{self.community}委员会"


class Names:
    """A district: streets → communities → compounds, and a supply of people."""

    def __init__(self, seed: int, communities_per_street: int = 6, compounds_per_community: int = 8,
                 unseen: bool = False):
        self.rng = random.Random(seed)
        streets = UNSEEN_STREETS if unseen else STREETS
        words = [w for w in (UNSEEN_COMMUNITY_WORDS if unseen else COMMUNITY_WORDS) if f"{w}社区" not in ANCHORS]
        prefixes, suffixes = (UNSEEN_PREFIXES, UNSEEN_SUFFIXES) if unseen else (COMPOUND_PREFIXES, COMPOUND_SUFFIXES)
        compounds = sorted({p + s for p in prefixes for s in suffixes
                            if p + s not in ANCHORS and not (p + s).endswith("小区")})
        self.rng.shuffle(words)
        self.rng.shuffle(compounds)
        if unseen:  # one estate name per brand and per district: 天玺湾 means one compound
            brands: set[str] = set()
            estates: set[str] = set()
            kept = []
            for c in compounds:
                brand, estate = name_parts(c) or ("", c)
                if brand not in brands and estate not in estates:
                    brands.add(brand)
                    estates.add(estate)
                    kept.append(c)
            compounds = kept
        self.places: list[Place] = []
        for i, street in enumerate(streets):
            for j in range(communities_per_street):
                community = words[(i * communities_per_street + j) % len(words)] + "社区"
                for _ in range(compounds_per_community):
                    self.places.append(Place(street, community, compounds.pop()))

    def place(self) -> Place:
        return self.rng.choice(self.places)

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def people(self, n: int) -> list[str]:
        out: list[str] = []
        while len(out) < n:
            p = self.person()
            if p not in out:
                out.append(p)
        return out

    def phone(self) -> str:
        return f"027-8{self.rng.randint(1000000, 9999999)}"

    def company(self) -> str:
        return self.rng.choice(PROPERTY_COMPANIES) + "服务有限公司"
