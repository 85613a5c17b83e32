pragma circom 2.1.0;

// One l2kit ZK-rollup block: N chunks of 10 bytes applied to a depth-D Poseidon account tree.
// Normative description: docs/zk.md. The only public input is the block commitment
// sha256(oldRoot ‖ newRoot ‖ pBefore ‖ pAfter ‖ pubdata) mod 2^253, so a proof binds the exact pubdata,
// the priority requests consumed and both roots.
//
// The build copies circomlib's circuits next to this file (circom2 cannot follow include paths).

include "circomlib/poseidon.circom";
include "circomlib/bitify.circom";
include "circomlib/comparators.circom";
include "circomlib/eddsaposeidon.circom";
include "circomlib/sha256/sha256.circom";

// Root of a Merkle path. Bit k of the index (LSB = leaves' level) says the node is a right child.
// The left/right swap is one constraint per level; the right input is linear in the left one.
template MerkleRoot(D) {
    signal input leaf;
    signal input pathBits[D];
    signal input siblings[D];
    signal output root;

    signal cur[D + 1];
    signal left[D];
    component h[D];
    cur[0] <== leaf;
    for (var k = 0; k < D; k++) {
        left[k] <== cur[k] + pathBits[k] * (siblings[k] - cur[k]);
        h[k] = Poseidon(2);
        h[k].inputs[0] <== left[k];
        h[k].inputs[1] <== cur[k] + siblings[k] - left[k];
        cur[k + 1] <== h[k].out;
    }
    root <== cur[D];
}

// An account leaf's fields, range-checked so the packed words have exactly one decomposition.
template AccountFields() {
    signal input pkHash;
    signal input owner;       // 160-bit L1 address
    signal input nonce;       // 32 bits
    signal input balance[4];  // 56 bits each, in the token's L2 unit
    signal output ownerNonce;
    signal output balances;

    component ownerBits = Num2Bits(160);
    ownerBits.in <== owner;
    component nonceBits = Num2Bits(32);
    nonceBits.in <== nonce;
    component balanceBits[4];
    var packed = 0;
    for (var t = 0; t < 4; t++) {
        balanceBits[t] = Num2Bits(56);
        balanceBits[t].in <== balance[t];
        packed += balance[t] * (1 << (56 * t));
    }
    ownerNonce <== owner + nonce * (1 << 160);
    balances <== packed;
}

template LeafHash() {
    signal input pkHash;
    signal input ownerNonce;
    signal input balances;
    signal output out;
    component h = Poseidon(3);
    h.inputs[0] <== pkHash;
    h.inputs[1] <== ownerNonce;
    h.inputs[2] <== balances;
    out <== h.out;
}

// One chunk slot: either the start of an operation or one of the two raw continuation chunks that carry the
// 160-bit address of a TRANSFER_TO_NEW or WITHDRAW.
template Slot(D) {
    // Carried between slots.
    signal input rootIn;
    signal input pIn;            // priority chain before this slot
    signal input contHiIn;       // 1: this chunk is the high half of the carried address
    signal input contLoIn;       // 1: this chunk is the low half
    signal input addrHiIn;
    signal input addrLoIn;
    signal output rootOut;
    signal output pOut;
    signal output contHiOut;
    signal output contLoOut;
    signal output addrHiOut;
    signal output addrLoOut;
    signal output chunkBits[80]; // MSB first, for the commitment

    // The chunk and the operation's private data.
    signal input chunk;
    signal input amount;         // the amount moved, in units (56 bits)
    signal input addr;           // request address (DEPOSIT/FULL_EXIT/CHANGE_PUBKEY) or tx address (TTN/WITHDRAW)
    signal input reqPkHash;      // the request's pkHash (DEPOSIT/CHANGE_PUBKEY)
    signal input Ax;
    signal input Ay;
    signal input R8x;
    signal input R8y;
    signal input S;
    // Account A (from / target) and account B (transfer recipient) before the operation, with Merkle paths.
    signal input aIndex;
    signal input aPkHash;
    signal input aOwner;
    signal input aNonce;
    signal input aBalance[4];
    signal input aSiblings[D];
    signal input bIndex;
    signal input bPkHash;
    signal input bOwner;
    signal input bNonce;
    signal input bBalance[4];
    signal input bSiblings[D];

    // ---- decode the chunk: type (3) | A (16) | token (5) | X (56), big-endian
    component cb = Num2Bits(80);
    cb.in <== chunk;
    for (var i = 0; i < 80; i++) chunkBits[i] <== cb.out[79 - i];
    var X = 0;
    for (var i = 0; i < 56; i++) X += cb.out[i] * (1 << i);
    var mantissa = 0;
    for (var i = 5; i < 40; i++) mantissa += cb.out[i] * (1 << (i - 5));
    var B = 0;
    for (var i = 40; i < 56; i++) B += cb.out[i] * (1 << (i - 40));
    var token = 0;
    for (var i = 56; i < 61; i++) token += cb.out[i] * (1 << (i - 56));
    var A = 0;
    for (var i = 61; i < 77; i++) A += cb.out[i] * (1 << (i - 61));

    // ---- which kind of slot
    signal isCont <== contHiIn + contLoIn;
    isCont * (isCont - 1) === 0;
    signal isOp <== 1 - isCont;
    // one-hot of the 3 type bits
    signal tb1tb2 <== cb.out[78] * cb.out[79];
    signal tb0tb1 <== cb.out[77] * cb.out[78];
    signal tb0tb2 <== cb.out[77] * cb.out[79];
    signal t7 <== tb0tb1 * cb.out[79];
    // type = b0 + 2 b1 + 4 b2 with b0 = out[77], b1 = out[78], b2 = out[79]
    signal t3 <== tb0tb1 - t7;
    signal t5 <== tb0tb2 - t7;
    signal t6 <== tb1tb2 - t7;
    signal t1 <== cb.out[77] - tb0tb1 - tb0tb2 + t7;
    signal t2 <== cb.out[78] - tb0tb1 - tb1tb2 + t7;
    signal t4 <== cb.out[79] - tb0tb2 - tb1tb2 + t7;
    isOp * t7 === 0;
    signal fDep <== isOp * t1;
    signal fTr <== isOp * t2;
    signal fTtn <== isOp * t3;
    signal fWd <== isOp * t4;
    signal fFe <== isOp * t5;
    signal fCp <== isOp * t6;
    signal fNoop <== isOp - fDep - fTr - fTtn - fWd - fFe - fCp;
    signal fMove <== fTr + fTtn;          // moves value A → B
    signal fSigned <== fMove + fWd;       // signed by A's L2 key
    signal fPrio <== fDep + fFe + fCp;    // consumes a priority request

    // A NOOP chunk is all zeros; a CHANGE_PUBKEY chunk has token 0 and X 0.
    fNoop * chunk === 0;
    fCp * token === 0;
    fCp * X === 0;
    // Token ids are < 4 for every operation (only bits 56, 57 may be set).
    isOp * (cb.out[58] + cb.out[59] + cb.out[60]) === 0;
    signal tk01 <== cb.out[56] * cb.out[57];
    signal tok[4];
    tok[3] <== tk01;
    tok[2] <== cb.out[57] - tk01;
    tok[1] <== cb.out[56] - tk01;
    tok[0] <== 1 - cb.out[56] - cb.out[57] + tk01;
    var tokenWeight = 0;
    for (var t = 0; t < 4; t++) tokenWeight += tok[t] * (1 << (56 * t));

    // ---- continuations: the chunk is half of the carried address
    contHiIn * (chunk - addrHiIn) === 0;
    contLoIn * (chunk - addrLoIn) === 0;
    component addrBits = Num2Bits(160);
    addrBits.in <== addr;
    var addrLo = 0;
    for (var i = 0; i < 80; i++) addrLo += addrBits.out[i] * (1 << i);
    var addrHi = 0;
    for (var i = 80; i < 160; i++) addrHi += addrBits.out[i] * (1 << (i - 80));
    signal fCarry <== fTtn + fWd;
    contHiOut <== fCarry;
    contLoOut <== contHiIn;
    addrHiOut <== addrHiIn + isOp * (addrHi - addrHiIn);
    addrLoOut <== addrLoIn + isOp * (addrLo - addrLoIn);

    // ---- the amount
    component amountBits = Num2Bits(56);
    amountBits.in <== amount;
    // 10^exponent from the 5 exponent bits
    signal pow[6];
    pow[0] <== 1;
    for (var k = 0; k < 5; k++) {
        pow[k + 1] <== pow[k] * (1 + cb.out[k] * (10 ** (1 << k) - 1));
    }
    signal unpacked <== mantissa * pow[5];
    fMove * (amount - unpacked) === 0;
    (fDep + fWd + fFe) * (amount - X) === 0;
    (isCont + fNoop + fCp) * amount === 0;

    // ---- account A before
    component aFields = AccountFields();
    aFields.pkHash <== aPkHash;
    aFields.owner <== aOwner;
    aFields.nonce <== aNonce;
    for (var t = 0; t < 4; t++) aFields.balance[t] <== aBalance[t];
    component aIdxBits = Num2Bits(D);
    aIdxBits.in <== aIndex;
    isOp * (aIndex - A) === 0;
    signal aSelTerm[4];
    var aSel = 0;
    for (var t = 0; t < 4; t++) {
        aSelTerm[t] <== tok[t] * aBalance[t];
        aSel += aSelTerm[t];
    }
    component aEmpty[3];
    aEmpty[0] = IsZero();
    aEmpty[0].in <== aPkHash;
    aEmpty[1] = IsZero();
    aEmpty[1].in <== aFields.ownerNonce;
    aEmpty[2] = IsZero();
    aEmpty[2].in <== aFields.balances;
    signal aEmpty01 <== aEmpty[0].out * aEmpty[1].out;
    signal aIsEmpty <== aEmpty01 * aEmpty[2].out;
    component ownerMatch = IsEqual();
    ownerMatch.in[0] <== aOwner;
    ownerMatch.in[1] <== addr;

    // DEPOSIT: the account is empty or already owned by the request's address.
    signal depNotEmpty <== fDep * (1 - aIsEmpty);
    depNotEmpty * (aOwner - addr) === 0;
    // FULL_EXIT: the whole balance if the requester owns the account, else nothing.
    signal feMatch <== fFe * ownerMatch.out;
    signal feAmount <== feMatch * aSel;
    fFe * (amount - feAmount) === 0;
    // Signed operations: A's nonce is the transaction's and A's key signed it.
    component pk = Poseidon(2);
    pk.inputs[0] <== Ax;
    pk.inputs[1] <== Ay;
    fSigned * (pk.out - aPkHash) === 0;
    component msg = Poseidon(2);
    msg.inputs[0] <== cb.out[77] + 2 * cb.out[78] + 4 * cb.out[79] + A * (1 << 3) + fMove * B * (1 << 19)
        + token * (1 << 35) + amount * (1 << 40) + aNonce * (1 << 96);
    signal msgAddr <== fCarry * addr;
    msg.inputs[1] <== msgAddr;
    component sig = EdDSAPoseidonVerifier();
    sig.enabled <== fSigned;
    sig.Ax <== Ax;
    sig.Ay <== Ay;
    sig.S <== S;
    sig.R8x <== R8x;
    sig.R8y <== R8y;
    sig.M <== msg.out;

    // A after
    signal aOut <== (fSigned + fFe) * amount;
    signal aIn <== fDep * amount;
    signal aNewSel <== aSel + aIn - aOut;
    component aNewSelBits = Num2Bits(56);   // no underflow, no overflow
    aNewSelBits.in <== aNewSel;
    signal aDelta <== (aIn - aOut) * tokenWeight;
    signal aNewBalances <== aFields.balances + aDelta;
    signal aNewOwner <== aOwner + fDep * (addr - aOwner);
    signal aNewNonce <== aNonce + fSigned;
    signal cpMatch <== fCp * ownerMatch.out;
    signal depNewKey <== fDep * aIsEmpty;
    signal aSetKey <== depNewKey + cpMatch;
    signal aNewPkHash <== aPkHash + aSetKey * (reqPkHash - aPkHash);

    // ---- the priority chain
    component prio = Poseidon(3);
    prio.inputs[0] <== pIn;
    signal feOrCpAccount <== (fFe + fCp) * A;
    signal depAmount <== fDep * amount;
    prio.inputs[1] <== cb.out[77] + 2 * cb.out[78] + 4 * cb.out[79] + token * (1 << 3) + depAmount * (1 << 8)
        + feOrCpAccount * (1 << 64) + addr * (1 << 80);
    prio.inputs[2] <== reqPkHash;
    fFe * reqPkHash === 0;
    pOut <== pIn + fPrio * (prio.out - pIn);

    // ---- account B before and after (transfers only; otherwise unchanged)
    component bFields = AccountFields();
    bFields.pkHash <== bPkHash;
    bFields.owner <== bOwner;
    bFields.nonce <== bNonce;
    for (var t = 0; t < 4; t++) bFields.balance[t] <== bBalance[t];
    component bIdxBits = Num2Bits(D);
    bIdxBits.in <== bIndex;
    fMove * (bIndex - B) === 0;
    signal bSelTerm[4];
    var bSel = 0;
    for (var t = 0; t < 4; t++) {
        bSelTerm[t] <== tok[t] * bBalance[t];
        bSel += bSelTerm[t];
    }
    component bOwnerZero = IsZero();
    bOwnerZero.in <== bOwner;
    fTr * bOwnerZero.out === 0;            // TRANSFER: B exists
    component bEmpty[3];
    bEmpty[0] = IsZero();
    bEmpty[0].in <== bPkHash;
    bEmpty[1] = IsZero();
    bEmpty[1].in <== bFields.ownerNonce;
    bEmpty[2] = IsZero();
    bEmpty[2].in <== bFields.balances;
    signal bEmpty01 <== bEmpty[0].out * bEmpty[1].out;
    signal bIsEmpty <== bEmpty01 * bEmpty[2].out;
    fTtn * (1 - bIsEmpty) === 0;            // TRANSFER_TO_NEW: B is empty
    signal bIn <== fMove * amount;
    component bNewSelBits = Num2Bits(56);
    bNewSelBits.in <== bSel + bIn;
    signal bDelta <== bIn * tokenWeight;
    signal bNewOwner <== bOwner + fTtn * (addr - bOwner);

    // ---- the tree: A's path from rootIn, then B's path from the root after A's update
    component aOldLeaf = LeafHash();
    aOldLeaf.pkHash <== aPkHash;
    aOldLeaf.ownerNonce <== aFields.ownerNonce;
    aOldLeaf.balances <== aFields.balances;
    component aNewLeaf = LeafHash();
    aNewLeaf.pkHash <== aNewPkHash;
    aNewLeaf.ownerNonce <== aNewOwner + aNewNonce * (1 << 160);
    aNewLeaf.balances <== aNewBalances;
    // The empty account is the leaf 0 (core's sparse Merkle tree); an account is empty after an operation only
    // if it was before and the operation did not create it.
    signal aOldValue <== (1 - aIsEmpty) * aOldLeaf.out;
    signal aStaysEmpty <== aIsEmpty * (1 - fDep);
    signal aNewValue <== (1 - aStaysEmpty) * aNewLeaf.out;
    component aOldRoot = MerkleRoot(D);
    component aNewRoot = MerkleRoot(D);
    aOldRoot.leaf <== aOldValue;
    aNewRoot.leaf <== aNewValue;
    for (var k = 0; k < D; k++) {
        aOldRoot.pathBits[k] <== aIdxBits.out[k];
        aOldRoot.siblings[k] <== aSiblings[k];
        aNewRoot.pathBits[k] <== aIdxBits.out[k];
        aNewRoot.siblings[k] <== aSiblings[k];
    }
    aOldRoot.root === rootIn;

    component bOldLeaf = LeafHash();
    bOldLeaf.pkHash <== bPkHash;
    bOldLeaf.ownerNonce <== bFields.ownerNonce;
    bOldLeaf.balances <== bFields.balances;
    component bNewLeaf = LeafHash();
    bNewLeaf.pkHash <== bPkHash;
    bNewLeaf.ownerNonce <== bNewOwner + bNonce * (1 << 160);
    bNewLeaf.balances <== bFields.balances + bDelta;
    signal bOldValue <== (1 - bIsEmpty) * bOldLeaf.out;
    signal bStaysEmpty <== bIsEmpty * (1 - fTtn);
    signal bNewValue <== (1 - bStaysEmpty) * bNewLeaf.out;
    component bOldRoot = MerkleRoot(D);
    component bNewRoot = MerkleRoot(D);
    bOldRoot.leaf <== bOldValue;
    bNewRoot.leaf <== bNewValue;
    for (var k = 0; k < D; k++) {
        bOldRoot.pathBits[k] <== bIdxBits.out[k];
        bOldRoot.siblings[k] <== bSiblings[k];
        bNewRoot.pathBits[k] <== bIdxBits.out[k];
        bNewRoot.siblings[k] <== bSiblings[k];
    }
    bOldRoot.root === aNewRoot.root;
    rootOut <== bNewRoot.root;
}

template Block(N, D) {
    signal input commitment;   // the only public input

    signal input oldRoot;
    signal input pBefore;
    signal input chunk[N];
    signal input amount[N];
    signal input addr[N];
    signal input reqPkHash[N];
    signal input Ax[N];
    signal input Ay[N];
    signal input R8x[N];
    signal input R8y[N];
    signal input S[N];
    signal input aIndex[N];
    signal input aPkHash[N];
    signal input aOwner[N];
    signal input aNonce[N];
    signal input aBalance[N][4];
    signal input aSiblings[N][D];
    signal input bIndex[N];
    signal input bPkHash[N];
    signal input bOwner[N];
    signal input bNonce[N];
    signal input bBalance[N][4];
    signal input bSiblings[N][D];

    component slot[N];
    for (var i = 0; i < N; i++) {
        slot[i] = Slot(D);
        if (i == 0) {
            slot[i].rootIn <== oldRoot;
            slot[i].pIn <== pBefore;
            slot[i].contHiIn <== 0;
            slot[i].contLoIn <== 0;
            slot[i].addrHiIn <== 0;
            slot[i].addrLoIn <== 0;
        } else {
            slot[i].rootIn <== slot[i - 1].rootOut;
            slot[i].pIn <== slot[i - 1].pOut;
            slot[i].contHiIn <== slot[i - 1].contHiOut;
            slot[i].contLoIn <== slot[i - 1].contLoOut;
            slot[i].addrHiIn <== slot[i - 1].addrHiOut;
            slot[i].addrLoIn <== slot[i - 1].addrLoOut;
        }
        slot[i].chunk <== chunk[i];
        slot[i].amount <== amount[i];
        slot[i].addr <== addr[i];
        slot[i].reqPkHash <== reqPkHash[i];
        slot[i].Ax <== Ax[i];
        slot[i].Ay <== Ay[i];
        slot[i].R8x <== R8x[i];
        slot[i].R8y <== R8y[i];
        slot[i].S <== S[i];
        slot[i].aIndex <== aIndex[i];
        slot[i].aPkHash <== aPkHash[i];
        slot[i].aOwner <== aOwner[i];
        slot[i].aNonce <== aNonce[i];
        slot[i].bIndex <== bIndex[i];
        slot[i].bPkHash <== bPkHash[i];
        slot[i].bOwner <== bOwner[i];
        slot[i].bNonce <== bNonce[i];
        for (var t = 0; t < 4; t++) {
            slot[i].aBalance[t] <== aBalance[i][t];
            slot[i].bBalance[t] <== bBalance[i][t];
        }
        for (var k = 0; k < D; k++) {
            slot[i].aSiblings[k] <== aSiblings[i][k];
            slot[i].bSiblings[k] <== bSiblings[i][k];
        }
    }
    // An operation's continuation chunks must fit in the block.
    slot[N - 1].contHiOut === 0;
    slot[N - 1].contLoOut === 0;

    // ---- commitment = sha256(oldRoot ‖ newRoot ‖ pBefore ‖ pAfter ‖ pubdata) mod 2^253
    var nBits = 4 * 256 + N * 80;
    component sha = Sha256(nBits);
    component words[4];
    for (var w = 0; w < 4; w++) {
        words[w] = Num2Bits_strict();
    }
    words[0].in <== oldRoot;
    words[1].in <== slot[N - 1].rootOut;
    words[2].in <== pBefore;
    words[3].in <== slot[N - 1].pOut;
    for (var w = 0; w < 4; w++) {
        sha.in[w * 256] <== 0;
        sha.in[w * 256 + 1] <== 0;
        for (var i = 0; i < 254; i++) sha.in[w * 256 + 2 + i] <== words[w].out[253 - i];
    }
    for (var i = 0; i < N; i++) {
        for (var j = 0; j < 80; j++) sha.in[1024 + i * 80 + j] <== slot[i].chunkBits[j];
    }
    var c = 0;
    for (var i = 3; i < 256; i++) c += sha.out[i] * (1 << (255 - i));
    commitment === c;
}
