"""The catalogue Pingan ships with: case types, categories with keywords, routing rules.

Loaded by a data migration and by `pingan demo`; idempotent (existing rows are kept as an
administrator may have changed them)."""

from __future__ import annotations

from cases.deadlines import CALENDAR_DAYS, HOURS, WORKING_DAYS

# code, name, (amount, unit, max_extension, max_extensions)
CASE_TYPES = [
    ("dispute", "矛盾纠纷", (30, CALENDAR_DAYS, 15, 1)),
    ("petition", "信访", (60, CALENDAR_DAYS, 30, 1)),  # 信访工作条例 art. 34
    ("hazard", "安全隐患", (5, WORKING_DAYS, 5, 1)),
    ("request", "群众诉求", (10, WORKING_DAYS, 10, 1)),
    ("rental", "网约房", (5, WORKING_DAYS, 5, 1)),
    ("crowd", "人群事件", (2, HOURS, None, 0)),
]

# (code, name, parent code or None, case type, keywords, deadline override or None)
CATEGORIES = [
    (
        "dispute-neighbour",
        "邻里纠纷",
        None,
        "dispute",
        "邻居 邻里 楼上 楼下 噪音 漏水 占道 堆放",
        None,
    ),
    (
        "dispute-family",
        "婚姻家庭纠纷",
        None,
        "dispute",
        "离婚 家暴 赡养 抚养 婆媳 夫妻 遗产 继承",
        None,
    ),
    (
        "dispute-property",
        "物业纠纷",
        None,
        "dispute",
        "物业费 物业公司 业委会 停车位 电梯维修",
        None,
    ),
    ("dispute-labour", "劳动争议", None, "dispute", "工资 欠薪 辞退 劳动合同 加班费 工伤", None),
    (
        "dispute-housing",
        "房屋土地纠纷",
        None,
        "dispute",
        "房屋 宅基地 租房 押金 房东 租客 装修",
        None,
    ),
    ("dispute-consumer", "消费纠纷", None, "dispute", "退款 商家 消费 预付卡 健身卡 假货", None),
    ("dispute-medical", "医疗纠纷", None, "dispute", "医院 医疗事故 误诊 手术", None),
    ("dispute-traffic", "交通事故纠纷", None, "dispute", "车祸 刮擦 追尾 事故赔偿", None),
    ("dispute-debt", "合同债务纠纷", None, "dispute", "借款 欠款 合同 债务 还钱", None),
    ("petition-law", "涉法涉诉", None, "petition", "判决 法院 执行 申诉 检察", None),
    ("petition-land", "征地拆迁", None, "petition", "征地 拆迁 安置 补偿款", None),
    ("petition-social", "劳动社保信访", None, "petition", "社保 养老金 低保 退休待遇", None),
    ("petition-housing", "住房保障信访", None, "petition", "公租房 廉租房 棚改 住房保障", None),
    ("petition-other", "其他信访", None, "petition", "信访 上访 反映 投诉", None),
    (
        "hazard-fire",
        "消防隐患",
        None,
        "hazard",
        "消防 火灾 灭火器 消防通道 电动车充电 飞线",
        (24, HOURS),
    ),
    ("hazard-gas", "燃气隐患", None, "hazard", "燃气 煤气 天然气 漏气 液化气", (24, HOURS)),
    ("hazard-falling", "高空坠物", None, "hazard", "高空 坠物 抛物 外墙脱落 广告牌", None),
    ("hazard-storage", "住改仓", None, "hazard", "住改仓 仓库 囤货 易燃物", None),
    ("hazard-road", "道路设施隐患", None, "hazard", "井盖 路面 塌陷 护栏 路灯", None),
    ("hazard-slope", "边坡地灾", None, "hazard", "边坡 滑坡 垮塌 落石 挡墙 裂缝", (24, HOURS)),
    ("hazard-building", "危房", None, "hazard", "危房 墙体开裂 房屋倾斜", None),
    ("request-urban", "城乡建设", None, "request", "小区 物业 施工 房屋 建设 拆迁 停水 停电", None),
    (
        "request-urban-property",
        "物业管理",
        "request-urban",
        "request",
        "物业 电梯 停车 绿化 保安",
        None,
    ),
    (
        "request-urban-works",
        "市政设施",
        "request-urban",
        "request",
        "路灯 下水道 排水 管网 人行道",
        None,
    ),
    ("request-env", "环境保护", None, "request", "污染 环境 噪声 噪音 油烟 垃圾 臭味 排放", None),
    (
        "request-env-noise",
        "噪声污染",
        "request-env",
        "request",
        "噪声 噪音 施工噪音 广场舞 扰民",
        None,
    ),
    ("request-env-air", "大气污染", "request-env", "request", "油烟 废气 粉尘 扬尘 臭味", None),
    ("request-env-waste", "垃圾处理", "request-env", "request", "垃圾 清运 垃圾桶 分类", None),
    (
        "request-traffic",
        "交通运输",
        None,
        "request",
        "公交 出租车 道路 交通 停车 拥堵 网约车",
        None,
    ),
    ("request-edu", "教育文体", None, "request", "学校 教育 入学 学位 老师 培训 体育 文化", None),
    (
        "request-labour",
        "劳动和社会保障",
        None,
        "request",
        "社保 工资 就业 养老 医保 退休 劳动",
        None,
    ),
    ("request-trade", "商贸旅游", None, "request", "商家 市场 价格 旅游 景区 消费 超市", None),
    ("request-health", "卫生计生", None, "request", "医院 卫生 医疗 食品 疫苗 诊所 计生", None),
    ("request-other", "其他诉求", None, "request", "", None),
    ("rental-noise", "网约房扰民", None, "rental", "民宿 短租 网约房 扰民 吵闹 聚会", None),
    ("rental-unregistered", "网约房未登记", None, "rental", "未登记 无证 日租房 钟点房", None),
    ("rental-safety", "网约房安全", None, "rental", "民宿 消防 安全 门锁", None),
    ("crowd-density", "人群过密", None, "crowd", "拥挤 人多 人群 踩踏 密集", None),
    ("crowd-disorder", "活动秩序", None, "crowd", "活动 秩序 围观 聚集", None),
]

# (case type, category or None, area level or "", unit kind, co-handling kinds, order)
ROUTING_RULES = [
    ("crowd", None, "district", "emergency", "police_station", 10),
    ("petition", None, "district", "petition_office", "", 10),
    ("hazard", "hazard-fire", "district", "fire_rescue", "street_office", 10),
    ("hazard", "hazard-gas", "street", "street_office", "urban_management", 10),
    ("hazard", "hazard-slope", "street", "street_office", "emergency", 10),
    ("hazard", None, "street", "street_office", "", 50),
    ("rental", None, "street", "police_station", "street_office", 10),
    ("dispute", "dispute-labour", "district", "human_resources", "", 10),
    ("dispute", "dispute-traffic", "street", "police_station", "", 10),
    ("dispute", None, "community", "community_committee", "", 50),
    ("request", "request-urban-property", "community", "community_committee", "", 10),
    ("request", "request-env", "district", "ecology", "street_office", 20),
    ("request", "request-traffic", "district", "transport", "", 20),
    ("request", "request-edu", "district", "education", "", 20),
    ("request", "request-labour", "district", "human_resources", "", 20),
    ("request", "request-trade", "district", "market_regulation", "", 20),
    ("request", "request-health", "district", "health", "", 20),
    ("request", None, "street", "street_office", "", 50),
]


def ensure_catalogue(apps=None) -> None:
    """Create whatever of the catalogue is missing (works in a migration and at run time)."""
    if apps is None:
        from django.apps import apps as registry

        apps = registry
    CaseType = apps.get_model("cases", "CaseType")
    Category = apps.get_model("cases", "Category")
    RoutingRule = apps.get_model("cases", "RoutingRule")
    types = {}
    for code, name, (amount, unit, max_ext, max_n) in CASE_TYPES:
        types[code], _ = CaseType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "deadline_amount": amount,
                "deadline_unit": unit,
                "max_extension": max_ext,
                "max_extensions": max_n,
            },
        )
    cats = {}
    for code, name, parent, type_code, keywords, override in CATEGORIES:
        defaults = {
            "name": name,
            "case_type": types[type_code],
            "parent": cats.get(parent),
            "keywords": "\n".join(keywords.split()),
        }
        if override:
            defaults.update(
                deadline_amount=override[0],
                deadline_unit=override[1],
                max_extension=override[0],
                max_extensions=1,
            )
        cats[code], _ = Category.objects.get_or_create(code=code, defaults=defaults)
    if not RoutingRule.objects.exists():
        for type_code, cat, level, kind, co, order in ROUTING_RULES:
            RoutingRule.objects.create(
                case_type=types[type_code],
                category=cats.get(cat),
                area_level=level,
                unit_kind=kind,
                co_unit_kinds=co,
                order=order,
            )
