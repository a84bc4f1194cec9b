// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title XCNH: the offshore-yuan (CNH) stablecoin, 1 token = 1 CNH, 6 decimals.
/// @notice An ERC-20 with a regulated issuer's roles, after the design of Circle's FiatToken
/// (written anew here, not copied): an owner who appoints the other roles; a master minter
/// who gives each minter a bounded allowance; minters (issuance's key) who mint within it and
/// burn from their own balance; a blacklister who freezes addresses; a pauser who stops every
/// movement. EIP-2612 `permit` lets a holder approve by signature.
/// @dev Redemption "burns from the vault": the vault is the minter's own address. The holder
/// signs a permit for the minter; the minter takes the tokens with `transferFrom(holder,
/// minter)` (the hold), gives them back with `transfer` (the compensation) or `burn`s them
/// (the final step). One key, one nonce sequence: issuance's chain outbox orders them all.
/// No immutables: the deployed code equals the compiled runtime code, so a deployment can be
/// recognised by its code hash.
contract XCNH {
    string public constant name = "XCNH";
    string public constant symbol = "XCNH";
    string public constant version = "1";
    uint8 public constant decimals = 6;

    bytes32 public constant PERMIT_TYPEHASH = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    // secp256k1n / 2: a signature with a higher s is the malleable twin of a valid one
    uint256 private constant HALF_N =
        0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    mapping(address => uint256) public nonces;

    address public owner;
    address public masterMinter;
    address public pauser;
    address public blacklister;
    bool public paused;
    mapping(address => bool) public isMinter;
    mapping(address => uint256) public minterAllowance;
    mapping(address => bool) public isBlacklisted;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    event Mint(address indexed minter, address indexed to, uint256 amount);
    event Burn(address indexed burner, uint256 amount);
    event MinterConfigured(address indexed minter, uint256 minterAllowedAmount);
    event MinterRemoved(address indexed oldMinter);
    event MasterMinterChanged(address indexed newMasterMinter);
    event Blacklisted(address indexed account);
    event UnBlacklisted(address indexed account);
    event BlacklisterChanged(address indexed newBlacklister);
    event Pause();
    event Unpause();
    event PauserChanged(address indexed newPauser);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    modifier onlyOwner() {
        require(msg.sender == owner, "XCNH: caller is not the owner");
        _;
    }

    modifier onlyMasterMinter() {
        require(msg.sender == masterMinter, "XCNH: caller is not the masterMinter");
        _;
    }

    modifier onlyMinters() {
        require(isMinter[msg.sender], "XCNH: caller is not a minter");
        _;
    }

    modifier onlyPauser() {
        require(msg.sender == pauser, "XCNH: caller is not the pauser");
        _;
    }

    modifier onlyBlacklister() {
        require(msg.sender == blacklister, "XCNH: caller is not the blacklister");
        _;
    }

    modifier whenNotPaused() {
        require(!paused, "XCNH: paused");
        _;
    }

    modifier notBlacklisted(address account) {
        require(!isBlacklisted[account], "XCNH: account is blacklisted");
        _;
    }

    constructor(address owner_, address masterMinter_, address pauser_, address blacklister_) {
        require(owner_ != address(0), "XCNH: owner is the zero address");
        require(masterMinter_ != address(0), "XCNH: masterMinter is the zero address");
        require(pauser_ != address(0), "XCNH: pauser is the zero address");
        require(blacklister_ != address(0), "XCNH: blacklister is the zero address");
        owner = owner_;
        masterMinter = masterMinter_;
        pauser = pauser_;
        blacklister = blacklister_;
        emit OwnershipTransferred(address(0), owner_);
        emit MasterMinterChanged(masterMinter_);
        emit PauserChanged(pauser_);
        emit BlacklisterChanged(blacklister_);
    }

    // --- ERC-20 ---------------------------------------------------------------------------

    function transfer(address to, uint256 value)
        external
        whenNotPaused
        notBlacklisted(msg.sender)
        notBlacklisted(to)
        returns (bool)
    {
        _transfer(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value)
        external
        whenNotPaused
        notBlacklisted(msg.sender)
        notBlacklisted(from)
        notBlacklisted(to)
        returns (bool)
    {
        uint256 allowed = allowance[from][msg.sender];
        require(value <= allowed, "XCNH: transfer amount exceeds allowance");
        allowance[from][msg.sender] = allowed - value;
        _transfer(from, to, value);
        return true;
    }

    function approve(address spender, uint256 value)
        external
        whenNotPaused
        notBlacklisted(msg.sender)
        notBlacklisted(spender)
        returns (bool)
    {
        _approve(msg.sender, spender, value);
        return true;
    }

    // --- EIP-2612 -------------------------------------------------------------------------

    /// @dev Computed on each call, not cached: it follows the chain id after a fork.
    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return keccak256(
            abi.encode(
                DOMAIN_TYPEHASH,
                keccak256(bytes(name)),
                keccak256(bytes(version)),
                block.chainid,
                address(this)
            )
        );
    }

    function permit(
        address holder,
        address spender,
        uint256 value,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external whenNotPaused notBlacklisted(holder) notBlacklisted(spender) {
        require(deadline >= block.timestamp, "XCNH: permit is expired");
        require(uint256(s) <= HALF_N, "XCNH: invalid signature");
        address signer = ecrecover(_permitDigest(holder, spender, value, deadline), v, r, s);
        require(signer != address(0) && signer == holder, "XCNH: invalid signature");
        _approve(holder, spender, value);
    }

    /// @dev Uses up the holder's nonce: a permit is good once (a replay recovers another signer).
    function _permitDigest(address holder, address spender, uint256 value, uint256 deadline)
        private
        returns (bytes32)
    {
        bytes32 permitHash =
            keccak256(abi.encode(PERMIT_TYPEHASH, holder, spender, value, nonces[holder]++, deadline));
        return keccak256(abi.encodePacked("\x19\x01", DOMAIN_SEPARATOR(), permitHash));
    }

    // --- minting and burning --------------------------------------------------------------

    function mint(address to, uint256 amount)
        external
        whenNotPaused
        onlyMinters
        notBlacklisted(msg.sender)
        notBlacklisted(to)
        returns (bool)
    {
        require(to != address(0), "XCNH: mint to the zero address");
        require(amount > 0, "XCNH: mint amount not greater than 0");
        uint256 allowed = minterAllowance[msg.sender];
        require(amount <= allowed, "XCNH: mint amount exceeds minterAllowance");
        minterAllowance[msg.sender] = allowed - amount;
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Mint(msg.sender, to, amount);
        emit Transfer(address(0), to, amount);
        return true;
    }

    /// @dev From the minter's own balance (the redemption vault): see the contract's notes.
    function burn(uint256 amount) external whenNotPaused onlyMinters notBlacklisted(msg.sender) {
        require(amount > 0, "XCNH: burn amount not greater than 0");
        uint256 held = balanceOf[msg.sender];
        require(amount <= held, "XCNH: burn amount exceeds balance");
        balanceOf[msg.sender] = held - amount;
        totalSupply -= amount;
        emit Burn(msg.sender, amount);
        emit Transfer(msg.sender, address(0), amount);
    }

    // --- roles ----------------------------------------------------------------------------

    function configureMinter(address minter, uint256 minterAllowedAmount)
        external
        whenNotPaused
        onlyMasterMinter
        returns (bool)
    {
        require(minter != address(0), "XCNH: minter is the zero address");
        isMinter[minter] = true;
        minterAllowance[minter] = minterAllowedAmount;
        emit MinterConfigured(minter, minterAllowedAmount);
        return true;
    }

    function removeMinter(address minter) external onlyMasterMinter returns (bool) {
        isMinter[minter] = false;
        minterAllowance[minter] = 0;
        emit MinterRemoved(minter);
        return true;
    }

    function updateMasterMinter(address newMasterMinter) external onlyOwner {
        require(newMasterMinter != address(0), "XCNH: new masterMinter is the zero address");
        masterMinter = newMasterMinter;
        emit MasterMinterChanged(newMasterMinter);
    }

    function blacklist(address account) external onlyBlacklister {
        isBlacklisted[account] = true;
        emit Blacklisted(account);
    }

    function unBlacklist(address account) external onlyBlacklister {
        isBlacklisted[account] = false;
        emit UnBlacklisted(account);
    }

    function updateBlacklister(address newBlacklister) external onlyOwner {
        require(newBlacklister != address(0), "XCNH: new blacklister is the zero address");
        blacklister = newBlacklister;
        emit BlacklisterChanged(newBlacklister);
    }

    function pause() external onlyPauser {
        paused = true;
        emit Pause();
    }

    function unpause() external onlyPauser {
        paused = false;
        emit Unpause();
    }

    function updatePauser(address newPauser) external onlyOwner {
        require(newPauser != address(0), "XCNH: new pauser is the zero address");
        pauser = newPauser;
        emit PauserChanged(newPauser);
    }

    function transferOwnership(address newOwner) external onlyOwner {
        require(newOwner != address(0), "XCNH: new owner is the zero address");
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    // --- internals ------------------------------------------------------------------------

    function _transfer(address from, address to, uint256 value) private {
        require(to != address(0), "XCNH: transfer to the zero address");
        uint256 held = balanceOf[from];
        require(value <= held, "XCNH: transfer amount exceeds balance");
        balanceOf[from] = held - value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }

    function _approve(address holder, address spender, uint256 value) private {
        require(spender != address(0), "XCNH: approve to the zero address");
        allowance[holder][spender] = value;
        emit Approval(holder, spender, value);
    }
}
