# DES / 3DES known answers (FIPS 46 worked example, NIST SP 800-17 and
# SP 800-67 vectors, the FIPS 81 "Now is t" block), inverses, errors.
from binascii import unhexlify as h

from pos import des
from vmutil import raises


def test_classic_vector_133457799bbcdff1_encrypts_0123456789abcdef_to_85e813540f0ab405():
    assert des.des_encrypt_block(h("133457799BBCDFF1"), h("0123456789ABCDEF")) == h("85E813540F0AB405")


def test_classic_vector_decrypts_back_to_its_plaintext():
    assert des.des_decrypt_block(h("133457799BBCDFF1"), h("85E813540F0AB405")) == h("0123456789ABCDEF")


def test_fips_81_now_is_t_block_under_0123456789abcdef():
    assert des.des_encrypt_block(h("0123456789ABCDEF"), b"Now is t") == h("3FA40E8A984D4815")


def test_sp800_17_variable_plaintext_known_answers():
    key = h("0101010101010101")
    for plain, cipher in (
        ("8000000000000000", "95F8A5E5DD31D900"),
        ("4000000000000000", "DD7F121CA5015619"),
        ("2000000000000000", "2E8653104F3834EA"),
        ("1000000000000000", "4BD388FF6CD81D4F"),
        ("0000000000000001", "166B40B44ABA4BD6"),
    ):
        assert des.des_encrypt_block(key, h(plain)) == h(cipher), plain
        assert des.des_decrypt_block(key, h(cipher)) == h(plain), cipher


def test_sp800_17_variable_key_known_answers():
    for key, cipher in (
        ("8001010101010101", "95A8D72813DAA94D"),
        ("4001010101010101", "0EEC1487DD8C26D5"),
        ("2001010101010101", "7AD16FFB79C45926"),
        ("0101010101010102", "869EFD7F9F265A09"),
    ):
        assert des.des_encrypt_block(h(key), bytes(8)) == h(cipher), key


def test_sp800_17_permutation_operation_known_answers():
    assert des.des_encrypt_block(h("1046913489980131"), bytes(8)) == h("88D55E54F54C97B4")
    assert des.des_encrypt_block(h("1007103489988020"), bytes(8)) == h("0C0CC00C83EA48FD")


def test_sp800_17_substitution_table_known_answers():
    for key, plain, cipher in (
        ("7CA110454A1A6E57", "01A1D6D039776742", "690F5B0D9A26939B"),
        ("0131D9619DC1376E", "5CD54CA83DEF57DA", "7A389D10354BD271"),
        ("07A1133E4A0B2686", "0248D43806F67172", "868EBB51CAB4599A"),
    ):
        assert des.des_encrypt_block(h(key), h(plain)) == h(cipher), key


def test_key_parity_bits_are_ignored():
    plain = h("0123456789ABCDEF")
    flipped = h("123556789ABDDEF0")  # 133457799BBCDFF1 with every low bit flipped
    assert des.des_encrypt_block(flipped, plain) == h("85E813540F0AB405")


def test_tdes_two_key_vector_0123456789abcdef_fedcba9876543210():
    key = h("0123456789ABCDEFFEDCBA9876543210")
    assert des.tdes_encrypt_block(key, h("0123456789ABCDE7")) == h("7F1D0A77826B8AFF")
    assert des.tdes_decrypt_block(key, h("7F1D0A77826B8AFF")) == h("0123456789ABCDE7")


def test_tdes_three_key_sp800_67_example_block():
    key = h("0123456789ABCDEF" "23456789ABCDEF01" "456789ABCDEF0123")
    assert des.tdes_encrypt_block(key, b"The qufc") == h("A826FD8CE53B855F")
    assert des.tdes_decrypt_block(key, h("A826FD8CE53B855F")) == b"The qufc"


def test_tdes_with_k1_equal_k2_equals_single_des():
    k = h("133457799BBCDFF1")
    plain = h("0123456789ABCDEF")
    assert des.tdes_encrypt_block(k + k, plain) == h("85E813540F0AB405")
    assert des.tdes_encrypt_block(k + k + k, plain) == h("85E813540F0AB405")
    assert des.tdes_encrypt_block(k, plain) == h("85E813540F0AB405")


def test_tdes_two_key_is_three_key_with_k3_equal_to_k1():
    k1 = h("0123456789ABCDEF")
    k2 = h("FEDCBA9876543210")
    block = h("0011223344556677")
    assert des.tdes_encrypt_block(k1 + k2, block) == des.tdes_encrypt_block(k1 + k2 + k1, block)


def test_tdes_decrypt_inverts_encrypt_along_a_chain_of_keys_and_blocks():
    key = h("0123456789ABCDEFFEDCBA9876543210")
    block = bytes(8)
    for _ in range(20):
        cipher = des.tdes_encrypt_block(key, block)
        assert cipher != block
        assert des.tdes_decrypt_block(key, cipher) == block
        key = key[8:] + cipher
        block = cipher


def test_ecb_encrypts_each_block_on_its_own():
    key = h("0123456789ABCDEFFEDCBA9876543210")
    data = h("0123456789ABCDE7" "0123456789ABCDE7" "0000000000000000")
    out = des.ecb_encrypt(key, data)
    assert out == h("7F1D0A77826B8AFF" "7F1D0A77826B8AFF" "08D7B4FB629D0885")
    assert des.ecb_decrypt(key, out) == data


def test_ecb_with_an_8_byte_key_is_single_des():
    assert des.ecb_encrypt(h("133457799BBCDFF1"), h("0123456789ABCDEF")) == h("85E813540F0AB405")
    assert des.ecb_decrypt(h("133457799BBCDFF1"), h("85E813540F0AB405")) == h("0123456789ABCDEF")


def test_ecb_of_nothing_is_nothing():
    assert des.ecb_encrypt(h("0123456789ABCDEF"), b"") == b""


def test_check_value_of_0123456789abcdef_fedcba9876543210_is_08d7b4fb():
    assert des.check_value(h("0123456789ABCDEFFEDCBA9876543210")) == h("08D7B4FB")


def test_check_value_of_a_single_des_key_uses_des():
    assert des.check_value(h("0101010101010101")) == h("8CA64DE9")


def test_bytearray_and_memoryview_inputs_give_the_same_answer():
    key = bytearray(h("133457799BBCDFF1"))
    plain = memoryview(bytearray(h("0123456789ABCDEF")))
    assert des.des_encrypt_block(key, plain) == h("85E813540F0AB405")
    assert des.ecb_encrypt(memoryview(key), bytearray(plain)) == h("85E813540F0AB405")


def test_results_stay_right_when_more_keys_are_used_than_the_cache_holds():
    keys = [bytes((i,)) * 8 for i in range(1, 12)]
    first = [des.des_encrypt_block(k, bytes(8)) for k in keys]
    for _ in range(3):
        for k, expected in zip(keys, first):
            assert des.des_encrypt_block(k, bytes(8)) == expected
            assert des.des_decrypt_block(k, expected) == bytes(8)


def test_a_key_of_the_wrong_length_raises_des_error():
    block = bytes(8)
    assert raises(des.DesError, des.des_encrypt_block, bytes(16), block)
    assert raises(des.DesError, des.des_decrypt_block, bytes(7), block)
    assert raises(des.DesError, des.tdes_encrypt_block, bytes(15), block)
    assert raises(des.DesError, des.ecb_decrypt, bytes(32), block)
    assert raises(des.DesError, des.check_value, b"")


def test_a_block_or_data_of_the_wrong_length_raises_des_error():
    key = h("0123456789ABCDEF")
    assert raises(des.DesError, des.des_encrypt_block, key, bytes(7))
    assert raises(des.DesError, des.tdes_decrypt_block, key + key, bytes(9))
    assert raises(des.DesError, des.ecb_encrypt, key, bytes(12))


def test_des_error_is_a_value_error():
    assert issubclass(des.DesError, ValueError)
