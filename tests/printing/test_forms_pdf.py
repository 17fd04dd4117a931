"""Each Decree 56 form printed on its own, laid out as the official form."""

from __future__ import annotations

import pytest

from cases import services
from cases.models import Case
from printing.models import PrintRecord
from tests.printing.conftest import (
    CHILD_NAME,
    INCIDENT_PLACE,
    PURPOSE,
    REPORTER,
    flat,
    pdf_pages,
    pdf_text,
    print_url,
    separate,
)

NATIONAL_HEADING = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
COMMUNE_BODY = ("ỦY BAN NHÂN DÂN", "XÃ ĐÔNG HÀ")

# Each form's own title and the sections it must carry.
EXPECTED = {
    "01": (
        "BÁO CÁO",
        "TIẾP NHẬN THÔNG TIN TRẺ EM BỊ XÂM HẠI",
        "Số: ……/BC-UBND",
        "A. Thông tin chung",
        "1. Nguồn nhận thông tin",
        "2. Thông tin về trẻ em",
        "3. Thông tin người cung cấp thông tin (nếu đồng ý cung cấp)",
        "Cán bộ tiếp nhận thông tin",
        "(Ký, ghi rõ họ tên)",
        INCIDENT_PLACE,
    ),
    "02": (
        "ĐÁNH GIÁ NGUY CƠ BAN ĐẦU",
        "a) Đánh giá mức độ tổn hại của trẻ em",
        "b) Đánh giá khả năng tự bảo vệ, phục hồi của trẻ em",
        "Tổng số: Cao: 1 Trung bình: 3 Thấp: 1",
        "Tạm đưa trẻ về nhà bà ngoại",
        "Người thực hiện đánh giá",
    ),
    "03": (
        "ĐÁNH GIÁ NGUY CƠ CỤ THỂ",
        "a) Tình trạng thể chất, tâm lý, tình cảm của trẻ em",
        "h) Ý kiến, nguyện vọng của cha, mẹ, người chăm sóc trẻ em",
        "Em muốn ở với bà ngoại",
        "BIÊN BẢN CUỘC HỌP",
        "XÁC ĐỊNH NHU CẦU CẦN HỖ TRỢ, CAN THIỆP CHO TRẺ EM",
        "Thống nhất các biện pháp hỗ trợ, can thiệp",
    ),
    "04": (
        "KẾ HOẠCH HỖ TRỢ, CAN THIỆP",
        "I. Mục tiêu kế hoạch",
        "II. Các dịch vụ, công việc cần thực hiện",
        "III. Giám sát, đánh giá",
        "Hoạt động hỗ trợ số 1",
        "Tổng dự toán kinh phí 1.000.000",
        "Người lập kế hoạch",
    ),
    "05": (
        "QUYẾT ĐỊNH",
        "Về việc phê duyệt kế hoạch hỗ trợ, can thiệp đối với trẻ em",
        "Số: 15/QĐ-UBND",
        "Nghị định số 56/2017/NĐ-CP",
        "Điều 1.",
        "Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025",
        "CHỦ TỊCH",
        "Nơi nhận:",
        "(Kèm theo Quyết định số 15/QĐ-UBND",
        "II. Các dịch vụ, công việc cần thực hiện",
    ),
    "06": (
        "RÀ SOÁT, ĐÁNH GIÁ TÌNH TRẠNG CỦA TRẺ EM",
        "1. Đánh giá nguy cơ tại giai đoạn kết thúc",
        "1. Mức độ tổn hại của trẻ em có còn nghiêm trọng không",
        "2. Khả năng tiếp cận trẻ em của đối tượng xâm hại",
        "3. Những trở ngại trong môi trường chăm sóc trẻ em đối với việc bảo đảm an toàn cho "
        "trẻ em",
        "vẫn còn rất nghiêm trọng, ảnh hưởng đến sự phát triển của trẻ em",
        "còn ít nghiêm trọng",
        "không còn nghiêm trọng",
        "vẫn có khả năng tiếp cận trẻ em và thường xuyên",
        "nhưng không thường xuyên",
        "ít hoặc không có khả năng tiếp cận",
        "vẫn có nhiều trở ngại đáng kể",
        "có một vài trở ngại, nhưng trẻ em vẫn có được sự bảo vệ nhất định",
        "có ít hoặc không có trở ngại nào",
        "Tổng số: Cao: 0 Trung bình: 0 Thấp: 5",
        "Kết thúc kế hoạch hỗ trợ, can thiệp",
    ),
    "07": (
        "QUYẾT ĐỊNH",
        "Về việc tạm thời cách ly trẻ em khỏi cha, mẹ, người chăm sóc trẻ em",
        "Số: 07/QĐ-UBND",
        "Nhà bà ngoại, thôn Đồng Lực",
        "Bà ngoại chăm sóc",
        "Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025",
        "Nơi nhận:",
        "Chờ kết quả giám định",
    ),
}


def print_form(client, case, number: str, purpose: str = PURPOSE):
    return client.post(print_url("form", case.public_id, number), {"purpose": purpose})


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_each_form_prints_with_its_heading_sections_and_frame(client_for, world, full_case, number):
    response = print_form(client_for("supervisor"), full_case, number)

    assert response.status_code == 200, response.content[:500]
    pages = pdf_pages(response.content)
    text = flat("\n".join(pages))
    assert f"Mẫu số {number}" in text
    for line in NATIONAL_HEADING:
        assert line in text
    if number != "01":
        for line in COMMUNE_BODY:
            assert line in text
    assert "Đông Hà, ngày" in text
    assert CHILD_NAME in text
    for expected in EXPECTED[number]:
        assert flat(expected) in text, expected
    for index, page in enumerate(pages, start=1):
        assert f"Trang {index} / {len(pages)}" in page
        assert "MẬT" in page
        assert full_case.number in page
    record = PrintRecord.objects.get()
    assert (record.kind, record.page_count) == (f"form_{number}", len(pages))


def test_form_01_leaves_out_the_reporter_without_consent_and_prints_them_with_it(
    client_for, world, named_case
):
    client = client_for("officer")
    text = pdf_text(print_form(client, named_case, "01").content)
    assert REPORTER not in text
    assert "không đồng ý" in text

    Case.objects.filter(pk=named_case.pk).update(reporter_consent=True)
    assert REPORTER in pdf_text(print_form(client, named_case, "01").content)


def test_form_01_is_issued_by_the_hotline_when_the_hotline_received_it(
    client_for, world, named_case
):
    Case.objects.filter(pk=named_case.pk).update(source="hotline", target_group="special")
    text = flat(pdf_text(print_form(client_for("officer"), named_case, "01").content))

    assert "TỔNG ĐÀI ĐIỆN THOẠI QUỐC GIA" in text
    assert "/BC-TĐ111" in text
    assert "TIẾP NHẬN THÔNG TIN TRẺ EM CÓ HOÀN CẢNH ĐẶC BIỆT" in text


@pytest.mark.parametrize("number", ["02", "03", "04", "05", "06", "07"])
def test_a_form_without_its_record_is_refused_not_printed_empty(client_for, world, number):
    client = client_for("officer")
    url = print_url("form", world.case.public_id, number)

    assert client.get(url).status_code == 409
    response = client.post(url, {"purpose": PURPOSE})
    assert response.status_code == 409
    assert f"Mẫu 0{number[-1]}".encode() in response.content
    assert not PrintRecord.objects.exists()


def test_mau_07_prints_the_latest_separation_only_once_decided(client_for, world, named_case):
    client = client_for("chairman")
    services.case_assess_initial(
        actor=world.officer,
        case=named_case,
        emergency_required=True,
        harm_severity="high",
        abuser_access="high",
        care_obstacles="high",
        self_protection="high",
        recovery="medium",
    )
    assert print_form(client, named_case, "07").status_code == 409
    separate(world, named_case)

    text = flat(pdf_text(print_form(client, named_case, "07").content))
    assert "Số: 07/QĐ-UBND" in text
    assert world.chairman.get_full_name() in text


def test_an_unknown_form_number_is_not_found(client_for, world):
    response = client_for("officer").get(f"/print/cases/{world.case.public_id}/forms/08/")
    assert response.status_code == 404
