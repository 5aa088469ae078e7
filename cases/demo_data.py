"""A year of demo cases across the demo district, written through the case services.

`plan_demo_cases` decides everything from a seed — how many cases of each type, category
and channel, where (a random point inside a grid), when, and each case's whole history
(accept, assign, escalate, supervise, pause, extend, resolve, verify, rate, reopen, close …)
with its times. `generate_demo_cases` then plays every planned step through
`cases.services` in time order across all cases (so duplicate detection, routing and the
deadline state see the district as it was at that moment), with `at=` the planned time:
every event is a real event and every measure counts it. Steps planned after `year_end`
are left undone, which leaves the newest cases at every stage of the lifecycle.

Volumes follow a real district (DESIGN §1: Yuzhong handles ~72,000 disputes a year and
2,517 reception-day issues), scaled down by `scale`: the default 1/100 gives ≈ 1,250 cases
and ≈ 10,300 events, what the services write in about a minute on one core (≈ 45 ms of CPU
a case of ≈ 8 events, measured on SQLite; `pingan demo` prints the time). The last day
always holds one case at each open stage, one rejected and one merged, whatever the scale.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import shapely
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from cases import services
from cases.catalogue import CATEGORIES
from cases.choices import OPEN_STATUSES, Channel, DeadlineState, FeedbackMethod, Outcome
from cases.choices import Priority as P
from cases.errors import CaseError
from cases.models import Case, CaseEvent, Category, Supervision
from cases.services import sweep_deadlines

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEMO_KEY_PREFIX = "demo:"
DEMO_USERNAME = "pingan-demo"
DEFAULT_SCALE = 1 / 100

# Cases a year in a district like Yuzhong, by type. Disputes are the published figure
# (DESIGN §1); the others are set against it from the share each type has in district
# governance-center reports (requests about half the disputes, hazards an eighth …).
ANNUAL = {
    "dispute": 72_000,
    "request": 36_000,
    "hazard": 9_000,
    "petition": 2_400,
    "rental": 1_200,
    "crowd": 240,
}
RECEPTION_DAY_ISSUES = 2_517  # a year, taken on the monthly grid reception days

CATEGORY_WEIGHTS = {
    "dispute": {
        "dispute-neighbour": 30,
        "dispute-family": 12,
        "dispute-property": 15,
        "dispute-labour": 10,
        "dispute-housing": 10,
        "dispute-consumer": 8,
        "dispute-medical": 3,
        "dispute-traffic": 7,
        "dispute-debt": 5,
    },
    "request": {
        "request-urban": 8,
        "request-urban-property": 20,
        "request-urban-works": 15,
        "request-env-noise": 18,
        "request-env-air": 6,
        "request-env-waste": 10,
        "request-traffic": 8,
        "request-edu": 4,
        "request-labour": 4,
        "request-trade": 4,
        "request-health": 3,
    },
    "hazard": {
        "hazard-fire": 30,
        "hazard-gas": 12,
        "hazard-falling": 12,
        "hazard-storage": 10,
        "hazard-road": 18,
        "hazard-slope": 8,
        "hazard-building": 10,
    },
    "petition": {
        "petition-law": 20,
        "petition-land": 15,
        "petition-social": 25,
        "petition-housing": 20,
        "petition-other": 20,
    },
    "rental": {"rental-noise": 50, "rental-unregistered": 30, "rental-safety": 20},
    "crowd": {"crowd-density": 60, "crowd-disorder": 40},
}
CHANNEL_WEIGHTS = {
    "dispute": {
        Channel.GRID_WORKER: 30,
        Channel.CLERK: 25,
        Channel.HOTLINE: 20,
        Channel.POLICE: 15,
        Channel.RESIDENT_WEB: 10,
    },
    "request": {
        Channel.HOTLINE: 50,
        Channel.ONLINE: 20,
        Channel.RESIDENT_WEB: 15,
        Channel.GRID_WORKER: 15,
    },
    "hazard": {Channel.GRID_WORKER: 60, Channel.HOTLINE: 20, Channel.RESIDENT_WEB: 20},
    "petition": {Channel.PETITION_OFFICE: 60, Channel.ONLINE: 30, Channel.HOTLINE: 10},
    "rental": {Channel.POLICE: 40, Channel.HOTLINE: 30, Channel.GRID_WORKER: 30},
    "crowd": {Channel.GRID_WORKER: 50, Channel.POLICE: 50},
}
RECEPTION_TYPES = {"dispute": 50, "request": 40, "petition": 5, "hazard": 5}
# Nominal working time in hours (the deadline policies of cases/catalogue.py, working days
# counted as 1.4 calendar days), to plan how long each case takes.
DEADLINE_HOURS = {
    "dispute": 720,
    "petition": 1440,
    "hazard": 168,
    "request": 336,
    "rental": 168,
    "crowd": 2,
}
FAST_CATEGORIES = {"hazard-fire", "hazard-gas", "hazard-slope"}  # 24-hour deadlines
# Where a lower center can pass the case one level up (矛盾不上交 until it must).
ESCALATABLE = {"dispute", "hazard"}
NOT_ESCALATABLE = {"dispute-labour", "hazard-fire"}  # already routed to the district
BUSY_STREETS = {
    "解放碑街道": 2.2,
    "朝天门街道": 1.8,
    "七星岗街道": 1.3,
    "大坪街道": 1.3,
    "两路口街道": 1.2,
}
CROWD_STREETS = {"解放碑街道", "朝天门街道"}

MONTH_WEIGHTS = [0.85, 0.75, 0.95, 1.0, 1.05, 1.1, 1.2, 1.2, 1.05, 0.95, 1.0, 1.0]
WEEKDAY_WEIGHTS = [1.15, 1.1, 1.1, 1.05, 1.05, 0.8, 0.75]
HOUR_WEIGHTS = [
    0.2,
    0.1,
    0.1,
    0.1,
    0.1,
    0.2,
    0.5,
    1.2,
    2.5,
    3.5,
    3.6,
    3.2,
    2.0,
    2.2,
    3.0,
    3.2,
    3.0,
    2.6,
    2.0,
    1.6,
    1.3,
    1.0,
    0.6,
    0.4,
]

# -- texts ------------------------------------------------------------------------------------
# {place}: the community's place name (较场口, 洪崖洞 …), {community}: the community,
# {no} building, {unit} entrance, {floor}, {days}, {amount}: filled per case. Titles and
# details pair up by position.
TEXTS: dict[str, tuple[list[str], list[str]]] = {
    "dispute-neighbour": (
        [
            "{place}{no}栋楼上住户深夜噪音扰民",
            "{community}{no}栋邻居楼道堆放杂物引发矛盾",
            "{place}{no}栋楼上卫生间漏水渗到楼下",
            "邻居在公共过道安装摄像头对着我家门",
        ],
        [
            "楼上住户每晚十一点后仍在拖动家具、小孩跑跳，多次上门沟通无果，影响老人休息。",
            "{unit}单元{floor}楼邻居长期在楼道堆放纸箱和旧家具，双方为此多次争吵。",
            "楼上卫生间防水层破损，我家天花板渗水发霉已有{days}天，对方不愿维修。",
            "邻居在门口安装摄像头正对我家大门，感觉隐私被侵犯，协商无果。",
        ],
    ),
    "dispute-family": (
        [
            "{place}居民赡养老人问题纠纷",
            "夫妻离婚后子女抚养费支付纠纷",
            "兄弟姊妹因老房子继承产生矛盾",
        ],
        [
            "老人年近八旬，几个子女互相推诿赡养义务，老人生活无着，请求社区调解。",
            "离婚协议约定每月支付抚养费{amount}元，对方已{days}个月未支付。",
            "父母留下{place}一套老房子，兄弟姊妹对继承份额意见不一，关系紧张。",
        ],
    ),
    "dispute-property": (
        [
            "{community}物业公司擅自上调停车费",
            "{place}小区电梯频繁故障物业不维修",
            "业主与物业因物业费收取产生纠纷",
        ],
        [
            "小区停车费由每月150元涨到{amount}元，未经业主大会表决，业主意见很大。",
            "{no}栋电梯一周内停运{days}次，有老人被困，物业推说维修资金不够。",
            "物业服务质量差，部分业主拒交物业费，物业停了{no}栋的门禁卡。",
        ],
    ),
    "dispute-labour": (
        ["{place}一餐馆拖欠员工工资", "装修工人被拖欠劳务费", "公司辞退员工未支付经济补偿"],
        [
            "在{place}一家餐馆做服务员，老板已拖欠{days}个月工资共{amount}元。",
            "在{community}做装修，包工头拖欠劳务费{amount}元，多次讨要无果。",
            "公司口头通知辞退，未签书面文件也不支付补偿，要求依法处理。",
        ],
    ),
    "dispute-housing": (
        ["{place}租房押金房东不退", "房东提前收房引发纠纷", "装修噪音和损坏引发邻里房屋纠纷"],
        [
            "租住{place}{no}号，合同到期正常退房，房东以墙面有污渍为由扣押金{amount}元。",
            "租期未满房东要求{days}天内搬走，不愿承担违约责任。",
            "楼上装修打穿楼板导致我家墙面开裂，协商赔偿未果。",
        ],
    ),
    "dispute-consumer": (
        [
            "{place}健身房关门预付卡无法退款",
            "{place}商家销售假冒商品",
            "培训机构拒绝退还剩余课时费",
        ],
        [
            "在{place}一家健身房办了年卡{amount}元，现在店面关门，老板联系不上。",
            "在{place}一家店购买的商品经鉴定为假货，商家拒绝退货。",
            "孩子报的培训班停课，剩余课时费{amount}元机构一直拖着不退。",
        ],
    ),
    "dispute-medical": (
        ["对诊所治疗结果有异议", "医院收费与告知不符"],
        [
            "家人在{place}附近诊所输液后出现不良反应，要求诊所说明情况并赔偿。",
            "住院结算时多出{amount}元未告知的费用，与医院沟通无果。",
        ],
    ),
    "dispute-traffic": (
        ["{place}路口车辆刮擦赔偿纠纷", "电动车与行人碰撞赔偿纠纷"],
        [
            "在{place}路口与一辆出租车发生刮擦，双方对责任和赔偿金额争执不下。",
            "老人在{place}人行道被电动车撞倒受伤，医药费{amount}元对方只愿承担一部分。",
        ],
    ),
    "dispute-debt": (
        ["朋友借款到期不还", "{place}商铺合同到期债务纠纷"],
        [
            "朋友借款{amount}元约定{days}个月归还，现已逾期，对方一直推脱。",
            "与{place}商铺老板合作经营，散伙后对方欠款不还。",
        ],
    ),
    "petition-law": (
        ["对法院执行进度不满", "对判决不服要求复查"],
        [
            "民事判决生效已{days}个月，对方仍未履行，申请执行后进展缓慢，请求督促。",
            "对原审判决不服，已申诉多次，请求有关部门复查。",
        ],
    ),
    "petition-land": (
        ["{place}旧城改造安置补偿问题", "反映拆迁补偿款未足额发放"],
        [
            "{place}片区旧城改造，本户安置面积与政策不符，多次反映未得到答复。",
            "拆迁补偿款约定{amount}元，实际到账不足，请求核实。",
        ],
    ),
    "petition-social": (
        ["反映养老金待遇核定问题", "低保申请被拒要求复核", "退休人员医保报销问题"],
        [
            "办理退休时工龄认定少了{days}年，养老金核定偏低，请求复核。",
            "家中老人患病无劳动能力，低保申请未通过，请求重新审核。",
            "退休后医保报销比例降低，要求说明政策依据。",
        ],
    ),
    "petition-housing": (
        ["公租房申请长期未有答复", "反映棚改安置房质量问题"],
        [
            "半年前提交公租房申请，材料齐全，至今没有任何答复。",
            "{place}安置房入住不到两年墙体开裂、屋面漏水，多次报修未解决。",
        ],
    ),
    "petition-other": (
        ["反映{place}违章建筑长期未处理", "对部门办事效率提出意见"],
        [
            "{place}{no}号屋顶违章搭建多年，多次反映未查处。",
            "办理事项来回跑了{days}次仍未办结，要求改进工作作风。",
        ],
    ),
    "hazard-fire": (
        ["{community}{no}栋楼道电动车飞线充电", "{place}商铺消防通道被堵", "{place}小区消防栓无水"],
        [
            "{unit}单元一楼楼道有电动车拉线充电，晚上无人看管，存在火灾隐患。",
            "商铺在后门消防通道堆放货物，安全出口被封堵。",
            "巡查发现{no}栋消防栓打开无水，灭火器过期。",
        ],
    ),
    "hazard-gas": (
        ["{place}餐馆燃气管道老化", "居民楼闻到燃气味", "{place}摊贩违规使用液化气罐"],
        [
            "餐馆后厨燃气软管老化开裂，使用多年未更换。",
            "{no}栋{unit}单元楼道有明显燃气味，担心泄漏。",
            "夜市摊贩在人行道使用液化气罐，周边人员密集。",
        ],
    ),
    "hazard-falling": (
        ["{place}{no}栋外墙瓷砖脱落", "{place}广告牌松动有坠落风险", "高楼阳台花盆有坠落隐患"],
        [
            "{no}栋外墙瓷砖大面积空鼓，已有掉落，楼下是人行通道。",
            "{place}一处广告牌固定螺丝锈蚀，大风天晃动明显。",
            "{floor}楼住户阳台外沿摆放花盆，无防护措施。",
        ],
    ),
    "hazard-storage": (
        ["{place}住宅楼一楼住改仓囤放货物", "居民楼内违规存放易燃物"],
        [
            "{no}栋一楼住户将住房改作仓库，堆放大量纸箱和塑料制品。",
            "地下室存放大量油漆和稀释剂，无通风和消防设施。",
        ],
    ),
    "hazard-road": (
        ["{place}人行道井盖松动", "{place}路面塌陷", "{place}梯道护栏损坏", "{place}路灯不亮"],
        [
            "路口人行道井盖踩上去晃动，晚上行人多，容易绊倒。",
            "{place}路面出现约一米见方的塌陷坑，车辆经过危险。",
            "梯道护栏锈断{days}处，老人小孩经过有坠落风险。",
            "{place}梯道路灯坏了{days}天，晚上一片漆黑，老人容易摔倒。",
        ],
    ),
    "hazard-slope": (
        ["{place}边坡挡墙出现裂缝", "雨后{place}山坡有落石"],
        [
            "{place}挡墙新出现多条裂缝，连续降雨后有渗水。",
            "雨后边坡有小块落石滚到人行道，下方是居民楼。",
        ],
    ),
    "hazard-building": (
        ["{place}老旧房屋墙体开裂", "{community}危房仍有人居住"],
        [
            "{no}号老房子承重墙出现贯穿裂缝，住户担心安全。",
            "已鉴定为危房的{no}号楼仍有{days}户居民居住。",
        ],
    ),
    "request-urban": (
        ["{place}施工围挡占道影响通行", "{place}停水未提前通知", "{place}老旧小区改造进度慢"],
        [
            "{place}施工围挡占用人行道，行人只能走机动车道。",
            "{community}连续停水{days}天，没有提前通知，生活不便。",
            "老旧小区改造开工{days}个月，楼道管线一直没弄好。",
        ],
    ),
    "request-urban-property": (
        ["{community}{no}栋电梯经常停运", "{place}小区绿化带被占用种菜", "小区门禁长期损坏"],
        [
            "{no}栋电梯每周都要坏几次，住{floor}楼的老人上下楼困难。",
            "小区绿化带被个别住户圈起来种菜，影响环境。",
            "小区门禁损坏{days}个月，外来人员随意进出，存在安全隐患。",
        ],
    ),
    "request-urban-works": (
        ["{place}下水道堵塞污水外溢", "{place}梯道路灯损坏", "{place}人行道破损"],
        [
            "{place}{no}号门前下水道堵塞，雨天污水漫到路面。",
            "{place}梯道{days}盏路灯不亮，晚上出行不安全。",
            "人行道砖块松动破损，雨天踩上去溅水。",
        ],
    ),
    "request-env-noise": (
        ["{place}广场舞音响声音太大", "{place}工地夜间施工扰民", "{place}酒吧夜间噪音扰民"],
        [
            "每晚七点到十点{place}广场舞音响声音很大，附近居民无法休息。",
            "{place}工地晚上十点后仍在施工打桩，影响周边居民休息。",
            "{place}一家酒吧营业到凌晨，音乐声和顾客喧哗声很大。",
        ],
    ),
    "request-env-air": (
        ["{place}餐馆油烟直排", "{place}工地扬尘严重"],
        [
            "{place}一楼餐馆未安装油烟净化器，油烟直排到居民窗口。",
            "工地未覆盖裸土，车辆进出扬尘严重。",
        ],
    ),
    "request-env-waste": (
        ["{place}垃圾桶满溢无人清运", "{place}建筑垃圾乱堆放", "{community}垃圾分类点气味大"],
        [
            "{place}垃圾桶已满{days}天无人清运，气味很大。",
            "有人在{place}路边倾倒装修垃圾，占用人行道。",
            "垃圾分类收集点清洗不及时，夏天气味很大、蚊虫多。",
        ],
    ),
    "request-traffic": (
        ["{place}路段乱停车严重", "{place}公交站台设置不合理", "{place}路口拥堵请求优化信号灯"],
        [
            "{place}路段两侧长期违停，早晚高峰公交车通行困难。",
            "{place}公交站台太窄，早高峰候车乘客站到车道上。",
            "{place}路口早晚高峰拥堵严重，信号灯配时不合理。",
        ],
    ),
    "request-edu": (
        ["咨询{place}片区小学入学政策", "{place}校外培训机构扰民"],
        [
            "孩子明年上小学，想了解{place}片区的划片和入学材料要求。",
            "{place}一家培训机构晚上下课时家长车辆堵路。",
        ],
    ),
    "request-labour": (
        ["咨询灵活就业人员社保缴纳", "反映{place}就业招聘信息虚假"],
        [
            "灵活就业人员如何在渝中区缴纳社保，需要哪些材料？",
            "在{place}看到的招聘信息与实际岗位不符，要求收取培训费。",
        ],
    ),
    "request-trade": (
        ["{place}商家价格欺诈", "{place}景区周边出租车拒载"],
        [
            "{place}一家店商品标价与结账价格不一致，多收了{amount}元。",
            "{place}附近出租车挑客拒载，游客意见很大。",
        ],
    ),
    "request-health": (
        ["{place}餐馆卫生条件差", "{place}小区蚊虫鼠患严重"],
        [
            "在{place}一家餐馆就餐发现后厨卫生很差，餐具不消毒。",
            "{community}老旧小区老鼠多，请求开展灭鼠消杀。",
        ],
    ),
    "rental-noise": (
        ["{place}{no}栋民宿游客深夜喧哗", "{place}网约房聚会扰民"],
        [
            "{no}栋{floor}楼被改成民宿，游客深夜拖行李箱、聚会喧哗，影响休息。",
            "{place}网约房经常有人开派对到凌晨，多次投诉无效。",
        ],
    ),
    "rental-unregistered": (
        ["{place}有未登记的日租房", "{community}{no}栋钟点房人员进出频繁"],
        [
            "{no}栋有多套房子做日租房，没有登记住宿人员信息。",
            "{no}栋{floor}楼疑似钟点房，陌生人员进出频繁，门禁密码外传。",
        ],
    ),
    "rental-safety": (
        ["{place}民宿消防设施不全", "网约房门锁密码泄露存在安全隐患"],
        [
            "{place}一家民宿没有灭火器和逃生指示，楼道堆满杂物。",
            "网约房门锁密码长期不换，入住客人之间可以互相进入。",
        ],
    ),
    "crowd-density": (
        ["{place}人流密集请求疏导", "{place}节假日游客拥堵"],
        [
            "{place}步道人流密度很大，部分路段人挤人，请求现场疏导。",
            "节假日{place}游客大量聚集，出口排队拥堵。",
        ],
    ),
    "crowd-disorder": (
        ["{place}商场促销活动秩序混乱", "{place}围观人群聚集"],
        ["{place}商场促销活动现场秩序混乱，有人推挤。", "{place}有人直播吸引大量围观，阻塞通道。"],
    ),
}
APPEALS = [
    "希望尽快处理。",
    "请相关部门协调解决。",
    "恳请社区帮忙协调。",
    "请尽快派人查看。",
    "多次反映未解决，希望这次能落实。",
    "",
]
RESULTS = {
    "dispute": [
        "经社区人民调解委员会调解，双方达成调解协议，当场履行。",
        "组织双方面对面调解，明确责任和整改时限，双方签字确认。",
        "联合派出所、司法所开展调解，双方就赔偿金额达成一致。",
    ],
    "petition": [
        "已书面答复信访人，说明政策依据和办理结果，信访人表示理解。",
        "经核查反映情况属实，已督促责任单位限期整改并告知信访人。",
    ],
    "hazard": [
        "已现场督促整改，隐患已消除，拍照留存。",
        "联合消防、街道开展整治，已清理完毕并建立巡查台账。",
        "已设置警示标志并完成维修，经复查无安全隐患。",
    ],
    "request": [
        "已联系责任单位现场处理，问题已解决。",
        "已协调相关部门处理并电话答复市民。",
        "已纳入近期整改计划，先行临时处置并告知市民。",
    ],
    "rental": [
        "已联合派出所上门检查，督促房东完成住宿登记并整改。",
        "已约谈房东，要求落实入住管理，扰民问题已消除。",
    ],
    "crowd": ["已调派网格员和民警现场疏导，人流恢复正常。", "已实施单向通行和分流，现场秩序恢复。"],
}
REASONS = {
    "reject": [
        "不属于受理范围，已告知当事人通过司法途径解决。",
        "反映信息不全，多次联系无法核实。",
        "该事项已进入诉讼程序，依法不予受理。",
    ],
    "escalate": [
        "社区调解未果，涉及多个部门，提请街道协调。",
        "矛盾有激化苗头，提请上级综治中心处理。",
    ],
    "supervise": ["群众多次反映，请加快办理，按期反馈。", "请明确责任人和办结时限，每周报告进展。"],
    "transfer": ["属其他单位职责，转派办理。", "按职责分工转派。"],
    "return": ["不属本单位职责，退回重新派遣。"],
    "pause": ["等待当事人补充材料。", "当事人外出，约定返回后再处理。"],
    "extension": ["涉及多方协调，需延期办理。", "需等待鉴定结果，申请延期。"],
    "verify_failed": ["现场核查问题仍存在，退回重新处置。"],
    "contact_failed": ["电话回访三次未接通。", "上门回访未遇到当事人。"],
    "reopen": ["群众再次反映问题未解决。"],
    "merge": ["与已受理案件反映同一问题，合并办理。"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志成文波海燕"


# -- the plan ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class GridInfo:
    code: str
    community: str
    street: str
    geometry: shapely.Geometry


@dataclass
class Step:
    at: datetime
    action: str
    kw: dict = field(default_factory=dict)


@dataclass
class PlannedCase:
    index: int
    key: str
    case_type: str
    category: str
    channel: str
    grid: str
    title: str
    text: str
    address: str
    priority: str
    lon: float | None = None
    lat: float | None = None
    parties: list[dict] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)


def third_wednesday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(2 - first.weekday()) % 7 + 14)


def _scaled(n: float, scale: float) -> int:
    return max(1, round(n * scale))


def annual_counts(scale: float) -> dict[str, int]:
    counts = {t: _scaled(n, scale) for t, n in ANNUAL.items()}
    counts["reception_day"] = _scaled(RECEPTION_DAY_ISSUES, scale)
    return counts


class _Planner:
    def __init__(self, grids: list[GridInfo], year_end: datetime, seed: int, scale: float):
        self.rng = random.Random(seed)
        self.grids = grids
        self.year_end = year_end
        self.start = year_end - timedelta(days=365)
        self.scale = scale
        self.cases: list[PlannedCase] = []
        rng = random.Random(seed + 1)
        community_weight: dict[str, float] = {}
        self.grid_weights: list[float] = []
        for g in grids:
            if g.code[:12] not in community_weight:
                community_weight[g.code[:12]] = rng.lognormvariate(0, 0.6)
            self.grid_weights.append(
                community_weight[g.code[:12]] * BUSY_STREETS.get(g.street, 1.0)
            )
        self.crowd_grids = [i for i, g in enumerate(grids) if g.street in CROWD_STREETS] or list(
            range(len(grids))
        )
        self.days = [(self.start + timedelta(days=i)).date() for i in range(366)]
        self.day_weights = [
            MONTH_WEIGHTS[d.month - 1] * WEEKDAY_WEIGHTS[d.weekday()] for d in self.days
        ]
        self.deadline_extension = {
            code: (amount, unit) for code, amount, unit in _extension_policies()
        }

    # random draws
    def pick(self, weights: dict):
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def uniform_h(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    def received_time(self) -> datetime:
        while True:
            day = self.rng.choices(self.days, weights=self.day_weights)[0]
            hour = self.rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
            at = datetime(
                day.year,
                day.month,
                day.day,
                hour,
                self.rng.randrange(60),
                self.rng.randrange(60),
                tzinfo=SHANGHAI,
            )
            if self.start <= at < self.year_end:
                return at

    def grid_index(self, case_type: str) -> int:
        if case_type == "crowd":
            return self.rng.choice(self.crowd_grids)
        weights = self.grid_weights
        if case_type == "rental":
            weights = [
                w * (3 if self.grids[i].street in CROWD_STREETS else 1)
                for i, w in enumerate(weights)
            ]
        return self.rng.choices(range(len(self.grids)), weights=weights)[0]

    def point_in(self, grid: GridInfo) -> tuple[float, float]:
        xmin, ymin, xmax, ymax = grid.geometry.bounds
        for _attempt in range(200):
            x, y = self.rng.uniform(xmin, xmax), self.rng.uniform(ymin, ymax)
            if shapely.contains_xy(grid.geometry, x, y):
                return round(x, 6), round(y, 6)
        point = grid.geometry.representative_point()
        return point.x, point.y

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(
            self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2)))
        )

    def phone(self) -> str:
        return f"1{self.rng.choice('3589')}{self.rng.randrange(10**9):09d}"

    # one case
    def new_case(
        self,
        case_type: str,
        channel: str,
        received: datetime,
        category: str | None = None,
        grid_index: int | None = None,
    ) -> PlannedCase:
        rng = self.rng
        category = category or self.pick(CATEGORY_WEIGHTS[case_type])
        grid = self.grids[self.grid_index(case_type) if grid_index is None else grid_index]
        place = grid.community.removesuffix("社区")
        fill = {
            "place": place,
            "community": grid.community,
            "no": rng.randint(1, 48),
            "unit": rng.randint(1, 6),
            "floor": rng.randint(2, 32),
            "days": rng.randint(2, 12),
            "amount": rng.choice([800, 1200, 2000, 3500, 5000, 8000, 12000, 26000]),
        }
        titles, details = TEXTS[category]  # the i-th detail tells the i-th title's story
        i = rng.randrange(len(titles))
        title = titles[i].format(**fill)
        text = (details[i] + rng.choice(APPEALS)).format(**fill)
        street = grid.street
        address = f"渝中区{street}{place}{rng.randint(1, 300)}号"
        priority = P.NORMAL
        if category in FAST_CATEGORIES:
            priority = rng.choices([P.NORMAL, P.HIGH, P.URGENT], [2, 6, 2])[0]
        elif case_type == "crowd":
            priority = P.URGENT
        elif rng.random() < 0.05:
            priority = P.HIGH
        parties = []
        if rng.random() < 0.65 or case_type in ("dispute", "petition"):
            role = "applicant" if case_type in ("dispute", "petition") else "reporter"
            parties.append({"role": role, "name": self.person(), "phone": self.phone()})
        if case_type == "dispute" and rng.random() < 0.7:
            parties.append({"role": "respondent", "name": self.person(), "phone": ""})
        case = PlannedCase(
            index=len(self.cases),
            key=f"{DEMO_KEY_PREFIX}{len(self.cases):06d}",
            case_type=case_type,
            category=category,
            channel=channel,
            grid=grid.code,
            title=title,
            text=text,
            address=address,
            priority=priority,
            parties=parties,
        )
        no_point = (
            channel
            in (Channel.HOTLINE, Channel.CLERK, Channel.PETITION_OFFICE, Channel.RECEPTION_DAY)
            and rng.random() < 0.12
        )
        if not no_point:
            case.lon, case.lat = self.point_in(grid)
        case.steps.append(Step(received, "intake"))
        self.cases.append(case)
        return case

    def life(self, case: PlannedCase) -> None:
        """Plan the case's whole history after intake (cut at year_end later)."""
        rng, t = self.rng, case.steps[0].at
        fast = case.category in FAST_CATEGORIES
        deadline = 24.0 if fast else DEADLINE_HOURS[case.case_type]
        pace = 0.02 if case.case_type == "crowd" else (0.25 if fast else 1.0)

        def add(delay: timedelta, action: str, **kw) -> None:
            nonlocal t
            t = t + max(delay, timedelta(minutes=1))
            case.steps.append(Step(t, action, kw))

        if rng.random() < (0.05 if case.case_type == "petition" else 0.015):
            add(self.uniform_h(0.5, 6) * pace, "reject", reason=rng.choice(REASONS["reject"]))
            return
        add(self.uniform_h(0.1, 3) * pace, "accept")
        add(self.uniform_h(0.1, 2) * pace, "assign")
        if rng.random() < 0.03:
            add(self.uniform_h(0.2, 2) * pace, "co_assign")
        if rng.random() < 0.02:
            add(self.uniform_h(1, 12) * pace, "transfer", reason=rng.choice(REASONS["transfer"]))
        elif rng.random() < 0.015:
            add(self.uniform_h(1, 12) * pace, "return", reason=REASONS["return"][0])
            add(self.uniform_h(0.5, 4) * pace, "assign", unit="street_office")
        add(self.uniform_h(0.5, 12) * pace, "start")

        late = rng.random() < 0.12
        work = deadline * (
            rng.uniform(1.05, 1.8) if late else min(0.95, rng.lognormvariate(math.log(0.3), 0.6))
        )
        if rng.random() < 0.02:  # stuck: never resolved, the backlog 积案 of the demo
            add(
                timedelta(hours=deadline * rng.uniform(0.2, 0.6)),
                "supervise",
                reason=rng.choice(REASONS["supervise"]),
                due_days=7,
            )
            return
        left = timedelta(hours=work)
        if (
            case.case_type in ESCALATABLE
            and case.category not in NOT_ESCALATABLE
            and rng.random() < 0.06
        ):
            add(left * 0.3, "escalate", reason=rng.choice(REASONS["escalate"]))
            add(self.uniform_h(0.5, 3) * pace, "assign")
            add(self.uniform_h(1, 8) * pace, "start")
            left *= 0.7
        if rng.random() < (0.3 if late else 0.02):
            add(left * 0.4, "supervise", reason=rng.choice(REASONS["supervise"]), due_days=5)
            left *= 0.6
        if rng.random() < 0.03 and case.case_type != "crowd":
            add(left * 0.3, "pause", reason=rng.choice(REASONS["pause"]))
            add(self.uniform_h(24, 120), "resume")
            left *= 0.7
        extension = self.deadline_extension.get(case.category)
        if late and extension and rng.random() < 0.4:
            add(
                left * 0.3,
                "request_extension",
                amount=extension[0],
                reason=rng.choice(REASONS["extension"]),
            )
            add(
                self.uniform_h(1, 24),
                "extend",
                amount=extension[0],
                reason=rng.choice(REASONS["extension"]),
            )
            left *= 0.7
        outcome = rng.choices([Outcome.RESOLVED, Outcome.PARTLY, Outcome.NOT_RESOLVED], [88, 8, 4])[
            0
        ]
        result = rng.choice(RESULTS[case.case_type])
        add(left, "resolve", outcome=outcome, reason=result)
        self.feedback(case, add, result)

    def feedback(self, case: PlannedCase, add, result: str) -> None:
        rng = self.rng
        if rng.random() < 0.06:
            add(self.uniform_h(1, 48), "verify_failed", reason=REASONS["verify_failed"][0])
            add(self.uniform_h(24, 96), "resolve", outcome=Outcome.RESOLVED, reason=result)
        add(self.uniform_h(1, 48), "verify")
        how = rng.choices(["online", "call", "contact_failed"], [35, 50, 15])[0]
        rating = rng.choices(["satisfied", "basic", "unsatisfied"], [86, 10, 4])[0]
        if how == "contact_failed":
            add(
                self.uniform_h(1, 72),
                "contact_failed",
                reason=rng.choice(REASONS["contact_failed"]),
            )
        else:
            add(self.uniform_h(1, 72), "rate", rating=rating, method=how)
            if rating == "unsatisfied":  # the engine reopens it: work again, verify, rate
                add(self.uniform_h(24, 120), "resolve", outcome=Outcome.RESOLVED, reason=result)
                add(self.uniform_h(1, 24), "verify")
                add(
                    self.uniform_h(1, 48),
                    "rate",
                    rating=rng.choice(["satisfied", "basic"]),
                    method="call",
                )
        add(self.uniform_h(0.5, 24), "close")
        if rng.random() < 0.01:
            add(self.uniform_h(48, 240), "reopen", reason=REASONS["reopen"][0])
            add(self.uniform_h(24, 120), "resolve", outcome=Outcome.RESOLVED, reason=result)
            add(self.uniform_h(1, 24), "verify")
            add(self.uniform_h(1, 48), "rate", rating="basic", method="call")
            add(self.uniform_h(0.5, 24), "close")

    def duplicate(self, original: PlannedCase) -> None:
        """The same problem reported again soon after; merged into the first (合并)."""
        first_resolve = next((s.at for s in original.steps if s.action == "resolve"), None)
        received = original.steps[0].at + self.uniform_h(1, 24)
        merge_at = received + self.uniform_h(0.5, 4)
        if first_resolve is None or merge_at >= first_resolve:
            return
        grid_index = next(i for i, g in enumerate(self.grids) if g.code == original.grid)
        dup = self.new_case(
            original.case_type,
            Channel.HOTLINE,
            received,
            category=original.category,
            grid_index=grid_index,
        )
        dup.title, dup.text = original.title, "再次反映：" + original.text
        dup.steps.append(
            Step(merge_at, "merge", {"into": original.index, "reason": REASONS["merge"][0]})
        )

    def plan(self) -> list[PlannedCase]:
        counts = annual_counts(self.scale)
        for case_type, n in counts.items():
            if case_type == "reception_day":
                continue
            for _ in range(n):
                case = self.new_case(
                    case_type, self.pick(CHANNEL_WEIGHTS[case_type]), self.received_time()
                )
                self.life(case)
                if case_type in ("dispute", "request", "hazard") and self.rng.random() < 0.01:
                    self.duplicate(case)
        self.reception_days(counts["reception_day"])
        self.every_stage()
        for case in self.cases:
            case.steps = [s for s in case.steps if s.at <= self.year_end]
        return self.cases

    STAGES = {  # the open stages, and the steps that reach each
        "received": ["intake"],
        "accepted": ["intake", "accept"],
        "assigned": ["intake", "accept", "assign"],
        "in_progress": ["intake", "accept", "assign", "start"],
        "resolved": ["intake", "accept", "assign", "start", "resolve"],
        "verified": ["intake", "accept", "assign", "start", "resolve", "verify"],
        "rejected": ["intake", "reject"],
    }

    def every_stage(self) -> None:
        """The last day's cases: one at each open stage, one rejected, one merged."""
        rng, end = self.rng, self.year_end
        working = None
        for stage, actions in self.STAGES.items():
            case_type = self.pick({"dispute": 2, "request": 2, "hazard": 1})
            received = end - self.uniform_h(6, 30)
            case = self.new_case(case_type, self.pick(CHANNEL_WEIGHTS[case_type]), received)
            gap = (end - timedelta(minutes=5) - received) / len(actions)
            for k, action in enumerate(actions[1:], start=1):
                kw = {"reason": rng.choice(REASONS["reject"])} if action == "reject" else {}
                if action == "resolve":
                    kw = {"outcome": Outcome.RESOLVED, "reason": rng.choice(RESULTS[case_type])}
                case.steps.append(Step(received + gap * k, action, kw))
            if stage == "in_progress":
                working = case
        received = working.steps[0].at + (end - working.steps[0].at) / 3
        grid_index = next(i for i, g in enumerate(self.grids) if g.code == working.grid)
        dup = self.new_case(
            working.case_type,
            Channel.HOTLINE,
            received,
            category=working.category,
            grid_index=grid_index,
        )
        dup.title, dup.text = working.title, "再次反映：" + working.text
        dup.steps.append(
            Step(
                received + (end - received) / 2,
                "merge",
                {"into": working.index, "reason": REASONS["merge"][0]},
            )
        )

    def reception_days(self, total: int) -> None:
        """Grid reception day (接访日): the third Wednesday of every month, 9:00–11:30."""
        days = []
        d = date(self.start.year, self.start.month, 1)
        while d <= self.year_end.date():
            wednesday = third_wednesday(d.year, d.month)
            opens = datetime(wednesday.year, wednesday.month, wednesday.day, 9, tzinfo=SHANGHAI)
            if self.start <= opens < self.year_end:
                days.append(opens)
            d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
        for i in range(total):
            opens = days[i % len(days)] if days else self.start
            received = opens + self.uniform_h(0, 2.5)
            if received >= self.year_end:
                continue
            case = self.new_case(self.pick(RECEPTION_TYPES), Channel.RECEPTION_DAY, received)
            self.life(case)


def _extension_policies() -> list[tuple[str, int, str]]:
    """(category, longest extension, unit) from the shipped catalogue (plan-time data)."""
    from cases.catalogue import CASE_TYPES

    by_type = {code: (ext, unit) for code, _n, (_a, unit, ext, _m) in CASE_TYPES}
    out = []
    for code, _name, _parent, type_code, _kw, override in CATEGORIES:
        ext, unit = (override[0], override[1]) if override else by_type[type_code]
        if ext:
            out.append((code, ext, unit))
    return out


def plan_demo_cases(
    grids: list[GridInfo], *, year_end: datetime, seed: int = 2026, scale: float = DEFAULT_SCALE
) -> list[PlannedCase]:
    """Everything about a year of demo cases, decided from the seed (no database)."""
    if not grids:
        raise ValueError("no grids to place cases in")
    return _Planner(grids, year_end, seed, scale).plan()


def demo_grids() -> list[GridInfo]:
    from territory.choices import Level
    from territory.models import Area

    names = dict(Area.objects.exclude(level=Level.GRID).values_list("code", "name"))
    return [
        GridInfo(
            code,
            names.get(code[:12], ""),
            names.get(code[:9], ""),
            shapely.geometry.shape(geometry),
        )
        for code, geometry in Area.objects.filter(level=Level.GRID)
        .order_by("code")
        .values_list("code", "geometry")
    ]


# -- playing the plan through the services ----------------------------------------------------
@dataclass
class DemoSummary:
    cases: int = 0
    events: int = 0
    seconds: float = 0.0
    scale: float = DEFAULT_SCALE
    skipped: bool = False
    by_status: dict = field(default_factory=dict)
    by_type: dict = field(default_factory=dict)
    by_channel: dict = field(default_factory=dict)
    overdue: int = 0
    reopened: int = 0
    escalated: int = 0
    supervised: int = 0
    rated: int = 0
    reception_day: int = 0


class _Actors:
    """Who takes each step: the demo logins where their role allows it, a system user for
    units without a demo login (every street office and committee has staff in reality)."""

    def __init__(self):
        from org.choices import Role
        from org.models import Membership, Unit

        User = get_user_model()
        users = {
            u.username: u
            for u in User.objects.filter(
                username__in=["clerk", "dispatcher", "leader", "petition", "gridworker"]
            )
        }
        missing = {"clerk", "dispatcher", "leader", "petition"} - set(users)
        if missing:
            raise ValueError(f"demo logins missing: {sorted(missing)} (run ensure_demo_org)")
        self.clerk, self.dispatcher = users["clerk"], users["dispatcher"]
        self.leader, self.petition = users["leader"], users["petition"]
        self.gridworker = users.get("gridworker")
        self.grid_of_gridworker = ""
        if self.gridworker is not None:
            scope = (
                Membership.objects.filter(person__user=self.gridworker, role=Role.GRID_WORKER)
                .values_list("scope__code", flat=True)
                .first()
            )
            self.grid_of_gridworker = scope or ""
        self.system = self._system_user(DEMO_USERNAME)
        self.unit_of = dict(
            Membership.objects.filter(
                person__user__in=list(users.values()), is_active=True
            ).values_list("person__user_id", "unit_id")
        )
        self.handlers: dict[int, object] = {}
        for unit_id, user in (
            Membership.objects.filter(
                role__in=[Role.HANDLER, Role.GRID_WORKER],
                is_active=True,
                person__user__isnull=False,
            )
            .order_by("-role", "pk")
            .values_list("unit_id", "person__user")
        ):
            self.handlers.setdefault(unit_id, User.objects.get(pk=user))
        self.units = {u.code: u for u in Unit.objects.filter(is_active=True)}

    @staticmethod
    def _system_user(username: str):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, is_superuser=True, is_active=True)
            user.set_unusable_password()
            user.save()
        return user

    def handler(self, unit_id: int | None):
        return self.handlers.get(unit_id, self.system)

    def other_than(self, owner: int | None, *candidates):
        """The first candidate that neither works for the unit that resolved the case nor
        resolved it: verification and ratings come from someone else."""
        resolver = self.handler(owner)
        for user in candidates:
            if user is not None and user != resolver and self.unit_of.get(user.pk) != owner:
                return user
        return self.system

    def dispatch(self, case: PlannedCase):
        return self.petition if case.case_type == "petition" else self.dispatcher

    def verifier(self, case: PlannedCase, owner: int | None):
        if self.gridworker is not None and case.grid == self.grid_of_gridworker:
            return self.other_than(owner, self.gridworker, self.dispatcher)
        return self.other_than(owner, self.dispatcher)

    def intake(self, case: PlannedCase):
        if case.channel == Channel.GRID_WORKER and case.grid == self.grid_of_gridworker:
            return self.gridworker
        if case.channel in (Channel.CLERK, Channel.HOTLINE, Channel.RECEPTION_DAY, Channel.POLICE):
            return self.clerk
        if case.channel == Channel.PETITION_OFFICE:
            return self.petition
        return None  # residents on the web and online messages: nobody logged in


class _Player:
    def __init__(self, plan: list[PlannedCase]):
        self.plan = plan
        self.actors = _Actors()
        self.categories = {
            c.code: c
            for c in Category.objects.select_related("case_type", "parent").filter(is_active=True)
        }
        self.state: dict[int, dict] = {}

    def steps(self) -> Iterable[None]:
        heap = [(c.steps[0].at, c.index, 0) for c in self.plan if c.steps]
        heapq.heapify(heap)
        while heap:
            _at, index, k = heapq.heappop(heap)
            case = self.plan[index]
            try:
                self.play(case, case.steps[k])
            except CaseError as exc:
                raise RuntimeError(
                    f"demo case {case.key} step {k} ({case.steps[k].action} at "
                    f"{case.steps[k].at.isoformat()}): {exc}"
                ) from exc
            yield None
            if k + 1 < len(case.steps):
                heapq.heappush(heap, (case.steps[k + 1].at, index, k + 1))

    def play(self, case: PlannedCase, step: Step) -> None:
        a, kw, at = self.actors, step.kw, step.at
        if step.action == "intake":
            result = services.intake_case(
                title=case.title,
                text=case.text,
                channel=case.channel,
                category=self.categories[case.category],
                lon=case.lon,
                lat=case.lat,
                address=case.address,
                priority=case.priority,
                parties=case.parties,
                client_key=case.key,
                actor=a.intake(case),
                reporter_grid=case.grid if case.lon is None else "",
                received_at=at,
            )
            self.state[case.index] = {
                "pk": result.case.pk,
                "number": result.case.number,
                "code": result.public_code,
                "case": result.case,
            }
            return
        st = self.state[case.index]
        pk, current = st["pk"], st["case"]
        owner = current.owner_unit_id
        s = services
        match step.action:
            case "accept":
                done = s.accept_case(pk, actor=a.dispatch(case), at=at)
            case "reject":
                done = s.reject_case(pk, actor=a.dispatch(case), reason=kw["reason"], at=at)
            case "assign":
                unit = a.units.get(f"{case.grid[:9]}-office") if kw.get("unit") else None
                done = s.assign_case(pk, actor=a.dispatch(case), unit=unit, at=at)
            case "co_assign":
                unit = next(
                    u
                    for code in (f"{case.grid[:9]}-police", f"{case.grid[:9]}-justice")
                    if (u := a.units.get(code)) is not None and u.pk != owner
                )
                done = s.co_assign_case(pk, actor=a.dispatch(case), unit=unit, at=at)
            case "transfer":
                office = a.units[f"{case.grid[:9]}-office"]
                unit = a.units[f"{case.grid[:12]}-committee"] if owner == office.pk else office
                done = s.transfer_case(
                    pk, actor=a.dispatch(case), unit=unit, reason=kw["reason"], at=at
                )
            case "return":
                done = s.return_case(pk, actor=a.handler(owner), reason=kw["reason"], at=at)
            case "start":
                done = s.start_case(pk, actor=a.handler(owner), at=at)
            case "escalate":
                done = s.escalate_case(pk, actor=a.dispatch(case), reason=kw["reason"], at=at)
            case "supervise":
                done = s.supervise_case(
                    pk,
                    actor=a.leader,
                    reason=kw["reason"],
                    at=at,
                    due_at=at + timedelta(days=kw["due_days"]),
                )
            case "pause":
                done = s.pause_case(pk, actor=a.handler(owner), reason=kw["reason"], at=at)
            case "resume":
                done = s.resume_case(pk, actor=a.handler(owner), at=at)
            case "request_extension":
                done = s.request_extension(
                    pk, actor=a.handler(owner), amount=kw["amount"], reason=kw["reason"], at=at
                )
            case "extend":
                done = s.extend_case(
                    pk, actor=a.leader, amount=kw["amount"], reason=kw["reason"], at=at
                )
            case "resolve":
                done = s.resolve_case(
                    pk, actor=a.handler(owner), outcome=kw["outcome"], reason=kw["reason"], at=at
                )
            case "verify":
                done = s.verify_case(pk, actor=a.verifier(case, owner), at=at)
            case "verify_failed":
                done = s.verify_case(
                    pk, actor=a.verifier(case, owner), passed=False, reason=kw["reason"], at=at
                )
            case "rate" if kw["method"] == "online":
                done = s.rate_case(
                    pk,
                    rating=kw["rating"],
                    public_code=st["code"],
                    method=FeedbackMethod.ONLINE,
                    at=at,
                )
            case "rate":
                done = s.rate_case(
                    pk,
                    actor=a.other_than(owner, a.clerk, a.petition),
                    rating=kw["rating"],
                    method=FeedbackMethod.CALL,
                    at=at,
                )
            case "contact_failed":
                done = s.record_contact_failed(
                    pk, actor=a.other_than(owner, a.clerk, a.petition), reason=kw["reason"], at=at
                )
            case "close":
                done = s.close_case(pk, actor=a.dispatcher, at=at)
            case "reopen":
                done = s.reopen_case(pk, actor=a.dispatcher, reason=kw["reason"], at=at)
            case "merge":
                into = self.state[kw["into"]]["number"]
                done = s.merge_case(
                    pk, actor=a.dispatch(case), into=into, reason=kw["reason"], at=at
                )
            case _:
                raise ValueError(f"unknown demo step {step.action}")
        st["case"] = done


def demo_cases_exist() -> bool:
    return Case.objects.filter(client_key__startswith=DEMO_KEY_PREFIX).exists()


def generate_demo_cases(
    *,
    year_end: datetime | None = None,
    seed: int = 2026,
    scale: float = DEFAULT_SCALE,
    progress: Callable[[Iterable, int], Iterable] = lambda it, n: it,
) -> DemoSummary:
    """Generate a year of demo cases ending at `year_end` (now), unless there already are."""
    started = time.perf_counter()
    summary = DemoSummary(scale=scale)
    if demo_cases_exist():
        summary.skipped = True
        return _count(summary, started)
    year_end = year_end or timezone.now()
    if timezone.is_naive(year_end):
        raise ValueError("year_end must carry a time zone")
    plan = plan_demo_cases(demo_grids(), year_end=year_end, seed=seed, scale=scale)
    player = _Player(plan)
    total = sum(len(c.steps) for c in plan)
    with transaction.atomic():
        for _ in progress(player.steps(), total):
            pass
        # The deadline sweep as the worker would have run it at the end of the story.
        sweep_deadlines(now=year_end)
    return _count(summary, started)


def _tally(qs, column: str) -> dict[str, int]:
    return dict(qs.order_by().values_list(column).annotate(n=Count("id")))


def _count(summary: DemoSummary, started: float) -> DemoSummary:
    cases = Case.objects.filter(client_key__startswith=DEMO_KEY_PREFIX)
    summary.cases = cases.count()
    summary.events = CaseEvent.objects.filter(case__in=cases).count()
    summary.by_status = _tally(cases, "status")
    summary.by_type = _tally(cases, "case_type__code")
    summary.by_channel = _tally(cases, "channel")
    summary.overdue = cases.filter(
        status__in=OPEN_STATUSES, deadline_state=DeadlineState.OVERDUE
    ).count()
    summary.reopened = cases.filter(reopen_count__gt=0).count()
    summary.escalated = cases.filter(escalations__gt=0).count()
    summary.supervised = (
        Supervision.objects.filter(case__in=cases).values("case").distinct().count()
    )
    summary.rated = cases.exclude(rating="").count()
    summary.reception_day = cases.filter(channel=Channel.RECEPTION_DAY).count()
    summary.seconds = time.perf_counter() - started
    return summary
