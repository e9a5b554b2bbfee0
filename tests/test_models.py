"""Models tolerate the vendor's type drift when decoded by the pipeline."""

from __future__ import annotations

import msgspec

import multimarkets_async as mm
from multimarkets_async.resources.customers import DETAIL, GROUPS, PAGE

# The vendor's own example for the customer list (placeholder values, `code` "").
VENDOR_PAGE_EXAMPLE = msgspec.json.encode(
    {
        "bizCode": "",
        "code": "",
        "fail": True,
        "msg": "",
        "msgParams": "",
        "ok": True,
        "tm": 0,
        "trace": "",
        "data": {
            "current": 0,
            "size": 0,
            "total": 0,
            "records": [
                {
                    "agentCustomerNo": "",
                    "companyId": 0,
                    "createTime": 0,
                    "customerGroupId": 0,
                    "customerGroupName": "",
                    "customerNo": "",
                    "customerType": 0,
                    "email": "",
                    "firstAccountActivateTime": 0,
                    "firstName": "",
                    "id": 0,
                    "idCard": "",
                    "idCardType": "",
                    "lastName": "",
                    "loginTime": 0,
                    "name": "",
                    "openAccountType": 0,
                    "phone": "",
                    "phoneArea": "",
                    "registerSource": 0,
                    "remark": "",
                    "status": 0,
                    "tgUserId": "",
                    "tgUserName": "",
                    "thirdAccountNo": "",
                    "thirdLoginSource": "",
                    "thirdUserId": "",
                    "unitId": 0,
                    "unitName": "",
                    "updateTime": 0,
                }
            ],
        },
    }
)


def test_vendor_page_example_decodes() -> None:
    envelope = PAGE.decoder.decode(VENDOR_PAGE_EXAMPLE)
    assert envelope.code == ""  # a placeholder: not a success, whatever ok/fail say
    page = envelope.data
    assert (page.current, page.size, page.total) == (0, 0, 0)
    record = page.records[0]
    assert isinstance(record, mm.Customer)
    assert len(msgspec.structs.fields(mm.Customer)) == 30
    assert record.register_source == 0 and record.tg_user_name == ""


def test_ids_and_numbers_sent_as_strings_are_accepted() -> None:
    raw = b"""{"code": 0, "tm": "12", "class": "com.cats.common.core.base.vo.BaseResult",
    "data": {"current": "1", "size": "2", "total": "2", "records": [
      {"id": "101", "companyId": "439", "customerGroupId": "3", "status": "1",
       "registerSource": "4", "createTime": "1700000000000", "unknownField": {"x": 1}},
      {"id": 102, "customerNo": "86000102", "email": null, "phone": null}]}}"""
    envelope = PAGE.decoder.decode(raw)
    assert str(envelope.code) == "0"
    first, second = envelope.data.records
    assert (first.id, first.company_id, first.customer_group_id) == (101, 439, 3)
    assert first.status == mm.CustomerStatus.NORMAL
    assert first.register_source == mm.RegisterSource.ANDROID
    assert first.create_time == 1_700_000_000_000
    assert second.email is None and second.customer_no == "86000102"


def test_group_list_as_object_or_array() -> None:
    one = GROUPS.decoder.decode(b'{"code":"0","data":{"id":"2","name":"VIP","tradeType":"1"}}')
    many = GROUPS.decoder.decode(b'{"code":"0","data":[{"id":1,"name":"Default"}]}')
    assert isinstance(one.data, mm.CustomerGroup) and one.data.id == 2 and one.data.trade_type == 1
    assert isinstance(many.data, list) and many.data[0].name == "Default"


def test_detail_account_list_as_object_or_list() -> None:
    as_object = DETAIL.decoder.decode(b'{"code":"0","data":{"id":"5","accountList":{}}}')
    as_list = DETAIL.decoder.decode(b'{"code":"0","data":{"accountList":[{"accountId":1}]}}')
    assert as_object.data.id == 5 and as_object.data.account_list == {}
    assert as_list.data.account_list == [{"accountId": 1}]
